#!/usr/bin/env python3
"""Write docs/java-map.md: every class of ZooKeeper 3.5.7's server, client and jute, next to its
Python twin, or the reason it has none.

    python3 docs/make_java_map.py                  # rewrite docs/java-map.md
    python3 docs/make_java_map.py --check          # exit 1 if docs/java-map.md is stale
    python3 docs/make_java_map.py --from-mirror GIT_DIR
                                                   # rewrite docs/java-classes-3.5.7.txt from a
                                                   # clone of apache/zookeeper (tag release-3.5.7)

The Java side is docs/java-classes-3.5.7.txt (checked in, so no Java source is needed). The
Python side is read from the source, never imported: a class (or module) whose docstring's
first line says "Mirror of org.apache...Name" is the twin of that Java class. A Java class
with no twin needs a line in NO_TWIN below saying why.
"""

import ast
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLASSES = os.path.join(ROOT, "docs", "java-classes-3.5.7.txt")
MAP = os.path.join(ROOT, "docs", "java-map.md")
PACKAGE = os.path.join(ROOT, "zookeeper_py")

MIRROR = re.compile(r"^Mirror of (org\.apache\.(?:zookeeper|jute)(?:\.[a-z0-9_]+)*(?:\.[A-Z][A-Za-z0-9_]*)+)")

# Why a Java class has no twin: the first pattern (a regular expression over the full name) that
# matches gives the reason.
NO_TWIN = [
    (r"^org\.apache\.jute\.compiler\.", "build-time record compiler: records declare their FIELDS in Python "
                                        "(zookeeper_py/jute/record.py compiles their codecs)"),
    (r"^org\.apache\.jute\.(Csv|Xml)InputArchive|^org\.apache\.jute\.XmlOutputArchive",
     "no reader or writer of ZooKeeper uses it"),
    (r"^org\.apache\.jute\.Record(Reader|Writer)$", "factories of the archives by name; nothing calls them"),
    (r"^org\.apache\.jute\.BinaryInputArchive\.BinaryIndex$",
     "Java's vector/map cursor; Python iterates lists and dicts"),
    (r"\.jmx\.|MXBean|MBean|Bean$|BeanImpl$|\.Bean\w*$", "JMX: Python has no MBean server (left out, as "
                                                         "CONVENTIONS says of Java plumbing)"),
    (r"Netty", "Netty: the NIO classes serve TLS themselves (zookeeper_py/common/ssl_handler.py)"),
    (r"^org\.apache\.zookeeper\.version\.util\.", "build-time generator of Version"),
    (r"\.AuthFastLeaderElection|\.LeaderElection(\.|$)",
     "election algorithms 0-2, deprecated in 3.5 and refused at startup (electionAlg=3 only)"),
    (r"\.AsyncCallback\.\w+Callback$", "twin without a \"Mirror of\" docstring: zookeeper_py/async_callback.py"),
    (r"\.KeyStoreLoader$|FileKeyStoreLoader\.Builder$|\.(JKS|PEM|PKCS12)FileLoader\.Builder$|"
     r"FileKeyStoreLoaderBuilderProvider$",
     "Java builder/interface: keyword arguments and a function in zookeeper_py/common/file_key_store_loader.py"),
    (r"\.util\.PemReader$", "folded into PEMFileLoader (zookeeper_py/common/file_key_store_loader.py)"),
    (r"\.SSLContextAndOptions$|\.ZKTrustManager$|\.ZKHostnameVerifier",
     "folded into X509Util (zookeeper_py/common/x509_util.py): Python's ssl.SSLContext holds the options "
     "and checks host names"),
    (r"\.common\.ZKConfig$", "folded into ZKClientConfig and X509Util (the parts they use)"),
    (r"\.AtomicFileWritingIdiom", "AtomicFileOutputStream used as a context manager "
                                  "(zookeeper_py/common/atomic_file_output_stream.py)"),
    (r"\.FileChangeWatcher\.(State|WatcherThread)$", "folded into FileChangeWatcher "
                                                       "(zookeeper_py/common/file_change_watcher.py)"),
    (r"\.common\.PathTrie", "DataTree keeps the quota paths in a set and walks up a path's prefixes"),
    (r"\.common\.IOUtils$|\.ByteBuffer(Input|Output)Stream$", "Java I/O helpers: Python's io and bytes"),
    (r"\.ClientCnxn\.WatcherSetEventPair$", "a (event, watchers) pair on the EventThread's queue"),
    (r"\.ClientWatchManager$", "Java interface of ZKWatchManager, its one implementation"),
    (r"\.ZooKeeper\.ZKWatchManager$", "twin under its 3.6 name, org.apache.zookeeper.ZKWatchManager "
                                       "(zookeeper_py/zk_watch_manager.py)"),
    (r"\.Environment\.Entry$", "a (name, value) tuple"),
    (r"\.KeeperException\.CodeDeprecated$", "deprecated int constants; KeeperException.Code is the enum"),
    (r"\.SaslServerPrincipal\.Wrapper", "Java test seams around InetAddress; plain functions here"),
    (r"\.ServerAdminClient$|\.Shell$|\.ZooKeeperTestable$|\.zookeeper\.Testable$|"
     r"\.server\.(LogFormatter|TraceFormatter)$",
     "not used by the server or zkCli (debug tools, test hooks)"),
    (r"\.EphemeralTypeEmulate353$", "zookeeper.emulate353TTLNodes (3.5.3's TTL encoding) is not implemented"),
    (r"\.server\.util\.VerifyingFileFactory\.Builder", "its options are VerifyingFileFactory's keyword arguments"),
    (r"\.StaticHostProvider\.Resolver$", "a resolver function argument of StaticHostProvider"),
    (r"\.ZooKeeperSaslClient\.(SaslState|ServerSaslResponseCallback)$",
     "in zookeeper_py/client/zoo_keeper_sasl_client.py without a \"Mirror of\" docstring"),
    (r"\.DataTree\.Counts$", "a (count, bytes) pair while DataTree adds up a quota subtree"),
    (r"\.NIOServerCnxn\.SendBufferWriter$", "_SendBufferWriter in zookeeper_py/server/nio_server_cnxn.py"),
    (r"\.ReferenceCountedACLCache\.AtomicLongWithEquals$", "a plain int under the cache's lock"),
    (r"\.ServerStats\.Provider$|\.QuorumStats\.Provider$", "Java interface: the server classes give the "
                                                              "methods themselves"),
    (r"\.server\.Stats$", "Java interface of DataNode statistics; DataNode holds them"),
    (r"\.server\.Watches(Path)?Report$|\.server\.WatchesSummary$",
     "dicts and lists built by WatchManager for the admin commands"),
    (r"\.WorkerService\.(DaemonThreadFactory|ScheduledWorkRequest)$", "folded into WorkerService's threads"),
    (r"\.FileTxnSnapLog\.RestoreFinalizer$|\.Util\.DataDirFileComparator$",
     "a callable / a sort key in zookeeper_py/server/persistence"),
    (r"\.QuorumCnxManager\.QuorumConnection(Receiver|Req)Thread$",
     "QuorumConnectionThread workers of a thread pool (zookeeper_py/server/quorum/quorum_cnx_manager.py)"),
    (r"\.QuorumPeer\.ResponderThread$", "answers election algorithm 0, which is refused at startup"),
    (r"\.quorum\.QuorumStats$", "its state names are QuorumStats in zookeeper_py/server/quorum/quorum_peer.py"),
    (r"\.SyncedLearnerTracker\.QuorumVerifierAcksetPair$", "a (verifier, ack set) pair"),
    (r"\.UnifiedServerSocket\.(UnifiedInputStream|UnifiedOutputStream|UnifiedSocket\.Mode)$|"
     r"\.PrependableSocket$",
     "the mode is detected by peeking at the first bytes: no stream wrappers to prepend them "
     "(zookeeper_py/server/quorum/unified_server_socket.py)"),
]

HEADER = """# Java to Python map

Every class of ZooKeeper 3.5.7's server, client and jute runtime (nested classes written
`Outer.Inner`), next to its Python twin, or the reason it has none. Generated by
`python3 docs/make_java_map.py` from the class docstrings ("Mirror of org.apache...") and
`docs/java-classes-3.5.7.txt`; `tests/unit/test_java_map.py` fails when this page is stale.

"""


def read_java_classes(path=CLASSES):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def python_twins(package=PACKAGE):
    """Full Java name -> [(module path, Python class or None for the module itself)]."""
    twins = {}
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), path)
            rel = os.path.relpath(path, ROOT)
            found = []
            for node in [tree] + [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
                doc = (ast.get_docstring(node) or "").strip()
                m = MIRROR.match(doc.splitlines()[0]) if doc else None
                if m:
                    found.append((m.group(1).rstrip("."), getattr(node, "name", None)))
            # The module counts only for a Java class none of its classes claims.
            classes = {java for java, cls in found if cls}
            for java, cls in found:
                if cls or java not in classes:
                    twins.setdefault(java, []).append((rel, cls))
    return twins


def reason(java):
    for pattern, why in NO_TWIN:
        if re.search(pattern, java):
            return why
    return None


def _package(java):
    parts = java.split(".")
    i = next(i for i, p in enumerate(parts) if p[:1].isupper())
    return ".".join(parts[:i]), ".".join(parts[i:])


def _cell(places):
    return "<br>".join("`%s` %s" % (path, "`%s`" % cls if cls else "(module)") for path, cls in places)


def render(java_classes=None, twins=None):
    java_classes = read_java_classes() if java_classes is None else java_classes
    twins = python_twins() if twins is None else twins
    rows, counts = {}, {"twin": 0, "reason": 0, "none": 0}
    for java in java_classes:
        package, name = _package(java)
        if java in twins:
            kind, cell, why = "twin", _cell(twins[java]), ""
        else:
            why = reason(java)
            kind, cell = ("reason", "—") if why else ("none", "**none yet**")
        counts[kind] += 1
        rows.setdefault(package, []).append("| %s | %s | %s |" % (name, cell, why or ""))
    out = [HEADER, "%d Java classes: %d with a Python twin, %d without one for the reason given, %d without "
                   "one yet.\n" % (len(java_classes), counts["twin"], counts["reason"], counts["none"])]
    for package in sorted(rows):
        out += ["\n## %s\n" % package, "| Java class | Python twin | why none |", "| --- | --- | --- |"]
        out += rows[package]
    later = sorted(j for j in twins if j not in set(java_classes))
    out += ["\n## Twins of classes 3.5.7 does not have\n",
            "Classes of later Java versions (3.6–3.9) or of commons-cli that the Python code mirrors.\n",
            "| Java class | Python twin |", "| --- | --- |"]
    out += ["| %s | %s |" % (j, _cell(twins[j])) for j in later]
    return "\n".join(out) + "\n"


# -- making docs/java-classes-3.5.7.txt from the Java source -------------------------------

_DECL = re.compile(r"^(\s*)(?:(?:public|protected|private|static|final|abstract|strictfp)\s+)*"
                   r"(?:class|interface|enum|@interface)\s+([A-Z]\w*)")


def classes_of_java_file(package, text):
    """Top-level and nested classes, named Outer.Inner (anonymous and local classes are left out)."""
    names, stack = [], []  # stack of (indent, name)
    for line in text.splitlines():
        m = _DECL.match(line)
        if not m or line.rstrip().endswith(";"):
            continue
        indent = len(m.group(1).expandtabs(4))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if stack and indent - stack[-1][0] != 4:
            continue  # deeper than a member: a local class
        stack.append((indent, m.group(2)))
        names.append(package + "." + ".".join(n for _, n in stack))
    return names


def classes_from_mirror(git_dir, tag="release-3.5.7"):
    git = ["git", "--git-dir", git_dir]
    files = subprocess.run(git + ["ls-tree", "-r", "--name-only", tag], check=True, capture_output=True,
                           text=True).stdout.split()
    names = []
    for path in files:
        m = re.match(r"zookeeper-(?:server|jute)/src/main/java/(.+)/\w+\.java$", path)
        if m:
            text = subprocess.run(git + ["show", "%s:%s" % (tag, path)], check=True, capture_output=True,
                                  text=True).stdout
            names += classes_of_java_file(m.group(1).replace("/", "."), text)
    jute = subprocess.run(git + ["show", tag + ":zookeeper-jute/src/main/resources/zookeeper.jute"], check=True,
                          capture_output=True, text=True).stdout
    module = None
    for line in jute.splitlines():
        m = re.match(r"\s*module\s+([\w.]+)", line)
        if m:
            module = m.group(1)
        m = re.match(r"\s*class\s+(\w+)", line)
        if m and module:
            names.append(module + "." + m.group(1))
    return sorted(set(names))


def main(argv):
    if "--from-mirror" in argv:
        git_dir = argv[argv.index("--from-mirror") + 1]
        names = classes_from_mirror(git_dir)
        with open(CLASSES, "w", encoding="utf-8") as f:
            f.write("# The classes of ZooKeeper 3.5.7 (tag release-3.5.7): zookeeper-server and zookeeper-jute\n"
                    "# sources, nested classes as Outer.Inner, and the records of zookeeper.jute.\n"
                    "# Made by: python3 docs/make_java_map.py --from-mirror <apache/zookeeper git dir>\n")
            f.write("\n".join(names) + "\n")
        print("%d classes -> %s" % (len(names), os.path.relpath(CLASSES, ROOT)))
        return 0
    text = render()
    if "--check" in argv:
        with open(MAP, encoding="utf-8") as f:
            if f.read() != text:
                print("docs/java-map.md is stale: run python3 docs/make_java_map.py")
                return 1
        return 0
    with open(MAP, "w", encoding="utf-8") as f:
        f.write(text)
    print(next(line for line in text.splitlines() if line[:1].isdigit()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
