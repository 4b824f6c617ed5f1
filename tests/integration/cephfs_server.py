"""fsgate on CephFS for the tests: a gateway started with --backend cephfs whose
POSIX view is read through a second libcephfs client (Debian's python3-cephfs)."""

import contextlib
import os
import uuid

from fsgate_server import FsgateServer

# The backends the parametrized suites run on. A build without libcephfs has no
# cephfs backend: tests/CMakeLists.txt then sets FSGATE_TEST_BACKENDS=posix.
BACKENDS = os.environ.get("FSGATE_TEST_BACKENDS", "posix,cephfs").split(",")

# A restart with the id of a gateway killed -9 waits until the MDS closes the dead
# session, which holds the id's lock: session_timeout + session_autoclose, 30 s each
# on the dev cluster (deploy/ceph-dev-cluster.sh), measured ~39 s after the kill.
RESTART_READY_TIMEOUT = 120.0


@contextlib.contextmanager
def mounted_reader(conf):
    """A libcephfs client of the cluster `conf` names, mounted at the top."""
    import cephfs  # only the cephfs runs need the binding

    fs = cephfs.LibCephFS(conffile=conf)
    fs.mount()
    try:
        yield fs
    finally:
        fs.shutdown()


class CephfsGateway(FsgateServer):
    """An FsgateServer on CephFS under `ceph_root` (a fresh one unless given: two
    gateways on one root share it), its POSIX view read through `reader`."""

    def __init__(self, conf, reader, dirops="async", ceph_root=None, **kwargs):
        self.ceph_root = ceph_root or f"/it-{dirops}-{uuid.uuid4().hex[:8]}"
        self.ceph_conf = conf
        super().__init__(dirops=dirops, **kwargs)
        self.reader = reader
        self.ready_timeout = RESTART_READY_TIMEOUT

    def command(self):
        # After extra_args' own flags, so that callers may change extra_args between starts.
        return super().command() + ["--backend", "cephfs", "--ceph-conf", self.ceph_conf,
                                    "--ceph-root", self.ceph_root]

    def posix_view(self, bucket):
        import cephfs  # only where a CephFS reader exists (python3-cephfs)
        files, empty_dirs = {}, set()

        # The applier and the directory prune may remove what a walk just
        # listed (wait_posix_view polls until the view settles): an entry gone
        # by the time it is opened is not in the view, as os.walk skips it.
        def walk(path, rel):
            entries = []
            try:
                d = self.reader.opendir(path.encode())
            except cephfs.ObjectNotFound:
                return
            try:
                while (e := self.reader.readdir(d)) is not None:
                    if e.d_name not in (b".", b".."):
                        entries.append(e)
            finally:
                self.reader.closedir(d)
            if rel and not entries:
                empty_dirs.add(rel)
            for e in entries:
                name = e.d_name.decode()
                child = f"{path}/{name}"
                if e.is_dir():
                    walk(child, rel + name + "/")
                    continue
                try:
                    size = self.reader.stat(child.encode()).st_size
                    fd = self.reader.open(child.encode(), os.O_RDONLY)
                except cephfs.ObjectNotFound:
                    continue
                try:
                    files[rel + name] = self.reader.read(fd, 0, size) if size else b""
                finally:
                    self.reader.close(fd)

        walk(f"{self.ceph_root}/{bucket}", "")
        return files, empty_dirs


def gateway_on(ceph_conf, reader, first=None, **kwargs):
    """A gateway on posix (no `ceph_conf`) or on CephFS, serving the root of the
    gateway `first` when given (its own fresh root otherwise)."""
    if ceph_conf:
        return CephfsGateway(ceph_conf, reader, ceph_root=first and first.ceph_root, **kwargs)
    return FsgateServer(root=first and first.root, **kwargs)
