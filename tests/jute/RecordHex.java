// Prints the jute binary encoding of a few records, as Java ZooKeeper writes them, one per line
// as "<name> <hex>". Run by test_records.py with `java -cp <zookeeper jars> RecordHex.java`.
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.proto.*;
import org.apache.zookeeper.txn.*;

public class RecordHex {
    static void print(String name, Record r) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        BinaryOutputArchive oa = BinaryOutputArchive.getArchive(bos);
        r.serialize(oa, "r");
        StringBuilder sb = new StringBuilder();
        for (byte b : bos.toByteArray()) sb.append(String.format("%02x", b));
        System.out.println(name + " " + sb);
        System.out.println(name + ".toString " + r.toString().replace("\n", "\\n"));
    }

    public static void main(String[] args) throws Exception {
        Stat stat = new Stat(0x100000001L, 0x100000002L, 1577836800000L, 1577836800123L, 3, 4, 5, 0x8000000000000000L, 6, 7, 0x100000003L);
        print("Stat", stat);
        print("CreateRequest", new CreateRequest("/a/\u00e9\u4e2d\ud83d\ude00", new byte[]{1, 2, (byte) 0xff},
            Arrays.asList(new ACL(31, new Id("world", "anyone")), new ACL(1, new Id("digest", "u:x,y%}"))), 3));
        print("CreateRequestNulls", new CreateRequest(null, null, null, 0));
        print("ReplyHeader", new ReplyHeader(-1, -1L, -101));
        print("GetDataResponse", new GetDataResponse(new byte[0], stat));
        print("SetWatches", new SetWatches(42L, Arrays.asList("/a", "/b"), Arrays.asList(), Arrays.asList("/c")));
        print("TxnHeader", new TxnHeader(0x123456789abcdefL, 7, 0x200000001L, 1577836800000L, 1));
        print("CreateTTLTxn", new CreateTTLTxn("/ttl", new byte[]{9}, Arrays.asList(new ACL(31, new Id("world", "anyone"))), 2, 1000L));
        print("MultiHeader", new MultiHeader(-1, true, -1));
        print("ConnectRequest", new ConnectRequest(0, 5L, 30000, 0L, new byte[16]));
        print("WatcherEvent", new WatcherEvent(3, 3, "/w"));
    }
}
