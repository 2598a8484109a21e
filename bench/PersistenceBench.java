// The Java 3.8 side of bench/bench_persistence.py: the same measurements with Java
// ZooKeeper's own classes. Run by the Python script as a single-file program:
//   java -cp <zookeeper jars> bench/PersistenceBench.java log <dir> <batch> <total>
//   java -cp ... bench/PersistenceBench.java snap <dir> <nodes>     (build, write, load)
//   java -cp ... bench/PersistenceBench.java load <dir>             (load the newest snapshot in dir)
// Each prints one line of key=value results.
import java.io.File;
import java.util.HashMap;
import java.util.Map;

import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileSnap;
import org.apache.zookeeper.server.persistence.FileTxnLog;
import org.apache.zookeeper.server.persistence.Util;
import org.apache.zookeeper.txn.CreateTxn;
import org.apache.zookeeper.txn.TxnHeader;

public class PersistenceBench {
    static long used() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        File dir = new File(args[1]);
        dir.mkdirs();
        if (mode.equals("log")) {
            int batch = Integer.parseInt(args[2]);
            int total = Integer.parseInt(args[3]);
            byte[] data = new byte[100];
            FileTxnLog log = new FileTxnLog(dir);
            long zxid = 0;
            // warm up the JIT on a first file, then measure on a fresh one
            for (int i = 0; i < 2000; i++) {
                zxid++;
                log.append(new TxnHeader(1, i, zxid, System.currentTimeMillis(), ZooDefs.OpCode.create),
                        new CreateTxn("/bench/n" + i, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, false, i));
            }
            log.commit();
            log.rollLog();
            long t0 = System.nanoTime();
            int i = 0;
            while (i < total) {
                for (int j = 0; j < batch; j++, i++) {
                    zxid++;
                    log.append(new TxnHeader(1, i, zxid, System.currentTimeMillis(), ZooDefs.OpCode.create),
                            new CreateTxn("/bench/n" + i, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, false, i));
                }
                log.commit();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            log.close();
            System.out.printf("txns_per_s=%.0f commits_per_s=%.0f%n", total / secs, (total / (double) batch) / secs);
        } else if (mode.equals("snap")) {
            int n = Integer.parseInt(args[2]);
            long before = used();
            DataTree dt = new DataTree();
            byte[] small = new byte[10];
            byte[] data = new byte[100];
            long zxid = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                zxid++;
                dt.createNode("/p" + i, small, ZooDefs.Ids.OPEN_ACL_UNSAFE, 0, i + 1, zxid, 0);
            }
            for (int i = 0; i < n - 100; i++) {
                zxid++;
                dt.createNode("/p" + (i % 100) + "/n" + i, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, 0, i / 100 + 1, zxid, 0);
            }
            double build = (System.nanoTime() - t0) / 1e9;
            dt.lastProcessedZxid = zxid;
            long mem = used() - before;
            Map<Long, Integer> sessions = new HashMap<>();
            sessions.put(1L, 30000);
            FileSnap snap = new FileSnap(dir);
            File f = new File(dir, Util.makeSnapshotName(zxid));
            t0 = System.nanoTime();
            snap.serialize(dt, sessions, f, false);
            double write = (System.nanoTime() - t0) / 1e9;
            dt = null;
            load(dir, String.format("build_s=%.3f write_s=%.3f bytes_per_node_built=%.0f size=%d ",
                    build, write, mem / (double) n, f.length()));
        } else if (mode.equals("load")) {
            load(dir, "");
        }
    }

    static void load(File dir, String prefix) throws Exception {
        long before = used();
        DataTree dt = new DataTree();
        Map<Long, Integer> sessions = new HashMap<>();
        long t0 = System.nanoTime();
        new FileSnap(dir).deserialize(dt, sessions);
        double secs = (System.nanoTime() - t0) / 1e9;
        long mem = used() - before;
        System.out.printf("%sload_s=%.3f nodes=%d bytes_per_node=%.0f%n", prefix, secs, dt.getNodeCount(),
                mem / (double) dt.getNodeCount());
    }
}
