// Prints Java's encoding of multi requests and responses as "<name> <hex>", one per line.
// Run by test_multi_framing.py with `java -cp <zookeeper jars> MultiHex.java`.
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.MultiOperationRecord;
import org.apache.zookeeper.MultiResponse;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.Stat;

public class MultiHex {
    static void print(String name, Record r) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        r.serialize(BinaryOutputArchive.getArchive(bos), "r");
        StringBuilder sb = new StringBuilder();
        for (byte b : bos.toByteArray()) sb.append(String.format("%02x", b));
        System.out.println(name + " " + sb);
    }

    public static void main(String[] args) throws Exception {
        print("txn", new MultiOperationRecord(Arrays.asList(
            Op.create("/a", "x".getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL),
            Op.create("/c", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER),
            Op.create("/t", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, 5000L),
            Op.delete("/a", 7),
            Op.setData("/b", "yy".getBytes(), -1),
            Op.check("/b", 3))));
        print("read", new MultiOperationRecord(Arrays.asList(Op.getData("/a"), Op.getChildren("/"))));
        print("empty", new MultiOperationRecord());
        Stat stat = new Stat(1L, 2L, 3L, 4L, 5, 6, 7, 8L, 9, 10, 11L);
        MultiResponse ok = new MultiResponse();
        ok.add(new OpResult.CreateResult("/a0000000001"));
        ok.add(new OpResult.CreateResult("/c", stat));
        ok.add(new OpResult.DeleteResult());
        ok.add(new OpResult.SetDataResult(stat));
        ok.add(new OpResult.CheckResult());
        print("resp", ok);
        MultiResponse err = new MultiResponse();
        err.add(new OpResult.ErrorResult(0));
        err.add(new OpResult.ErrorResult(-101));
        err.add(new OpResult.ErrorResult(-2));
        print("error", err);
        MultiResponse rd = new MultiResponse();
        rd.add(new OpResult.GetDataResult("x".getBytes(), stat));
        rd.add(new OpResult.GetChildrenResult(Arrays.asList("a", "zookeeper")));
        rd.add(new OpResult.ErrorResult(-101));
        print("readresp", rd);
    }
}
