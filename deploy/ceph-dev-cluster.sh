#!/usr/bin/env bash
# ceph-dev-cluster.sh: a throw-away single-node Ceph cluster with one CephFS,
# for trying `fsgate serve --backend cephfs` and for the cephfs tests.
#
#   deploy/ceph-dev-cluster.sh start DIR   bootstrap a cluster in DIR (or restart the one
#                                          there); returns once the MDS is up:active
#   deploy/ceph-dev-cluster.sh env DIR     the exports a client needs: eval "$(... env DIR)"
#   deploy/ceph-dev-cluster.sh rgw DIR     also a Ceph RGW (S3) on the running cluster, beast on
#                                          127.0.0.1 (CEPH_DEV_RGW_PORT or a free port), a user
#                                          with fixed keys; prints the S3_* exports (env does too)
#   deploy/ceph-dev-cluster.sh stop DIR    stop DIR's daemons, by the PIDs they wrote
#   deploy/ceph-dev-cluster.sh wipe DIR    kill DIR's daemons, then delete DIR
#
# One mon, one OSD on memstore (RAM; saved to DIR on a clean stop), one MDS, all on
# 127.0.0.1 with cephx; a mgr only with CEPH_DEV_MGR=1 (CephFS works without one, and
# it costs ~300 MiB and ~5 s). The mon port is free-picked at bootstrap (override with
# CEPH_DEV_MON_PORT), so several clusters can run side by side. Debian packages:
# ceph-mon ceph-osd ceph-mds ceph-common, and radosgw for `rgw` (deploy/packages.txt).
#
# Measured on 2 shared vCPUs: a fresh start takes 12-17 s without mgr; stop 1-15 s (the
# MDS flushes its journal to the OSD first, so it is stopped before the OSD: stopping
# both at once made the MDS hang ~20 s). A client's MDS session goes stale after 30 s
# without renewal and is closed once 30 s have passed (defaults 60/300; 30 is the least the
# MDS map accepts: it answers ERANGE below), so a killed client's caps and locks lapse
# within a minute: its lock was free 31 s after a kill -9, a gateway's journal adopted
# by a survivor 39 s after (tests/integration/test_cephfs.py).
set -euo pipefail

FS_NAME=cephfs
T0=$(date +%s%N)
log() { echo "[ceph-dev +$((($(date +%s%N) - T0) / 1000000))ms] $*" >&2; }
die() { echo "ceph-dev-cluster: $*" >&2; exit 1; }

cephc() { timeout 60 ceph --conf "$DIR/ceph.conf" --name client.admin --connect-timeout 20 "$@"; }

wait_for() {  # SECONDS WHAT CMD...: poll CMD every 0.3 s
  local deadline=$(($(date +%s) + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) < deadline)) || die "timed out waiting for $what (logs in $DIR/log)"
    sleep 0.3
  done
}

free_port() {  # a TCP port nothing listens on, from the ephemeral-free range 20000-29999
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 10000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  die "no free port found"
}

write_conf() {  # FSID MON_V2_PORT MON_V1_PORT
  cat >"$DIR/ceph.conf" <<EOF
# written by fsgate's deploy/ceph-dev-cluster.sh
[global]
fsid = $1
mon_host = [v2:127.0.0.1:$2,v1:127.0.0.1:$3]
public_addr = 127.0.0.1
public_network = 127.0.0.0/8
ms_bind_ipv6 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = $DIR/keyring
run_dir = $DIR/run
pid_file = $DIR/run/\$name.pid
admin_socket = $DIR/run/\$name.asok
log_file = $DIR/log/\$name.log
crash_dir = $DIR/crash
log_to_stderr = false
err_to_stderr = true
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
mgr_initial_modules =
# The daemons' debug logging off, gathering in memory included (Pacific keeps
# 1/5 for most subsystems: every message formatted at level 5 for a crash
# dump). On this 2-core machine the cluster's CPU is what bounds an async
# PUT at 1 connection: with these at 0/0 (set at run time, 4 KiB PUTs at 1
# connection, 8 s a round, interleaved) the MDS spent 1,094 against 1,227 µs
# a PUT and async/sync went 2.23x -> 2.64x (medians of 2 rounds each).
# Errors still reach the cluster log and a crash still leaves its report.
debug_mds = 0/0
debug_mds_balancer = 0/0
debug_mds_locker = 0/0
debug_mds_log = 0/0
debug_mds_log_expire = 0/0
debug_mds_migrator = 0/0
debug_osd = 0/0
debug_ms = 0/0
debug_mon = 0/0
debug_paxos = 0/0
debug_rocksdb = 0/0
debug_auth = 0/0
debug_monc = 0/0
debug_journaler = 0/0
debug_objecter = 0/0
debug_finisher = 0/0
debug_objectcacher = 0/0
debug_filer = 0/0
debug_context = 0/0
debug_heartbeatmap = 0/0

[mon]
mon_data = $DIR/\$name
mon_cluster_log_file = $DIR/log/cluster.log
mon_warn_on_insecure_global_id_reclaim_allowed = false

[mgr]
mgr_data = $DIR/\$name

[osd]
osd_data = $DIR/\$name
osd_objectstore = memstore
memstore_device_bytes = ${CEPH_DEV_OSD_BYTES:-4294967296}
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1
# Pacific's default fast shutdown skips the umount that makes memstore save its data.
osd_fast_shutdown = false

[mds]
mds_data = $DIR/\$name

[client]
# one log and admin socket per client process (and per mount in it)
log_file = $DIR/log/\$name.\$pid.log
admin_socket = $DIR/run/\$name.\$pid.\$cctid.asok
EOF
}

bootstrap() {
  local fsid uuid v2 v1 kr=$DIR/keyring
  fsid=$(cat /proc/sys/kernel/random/uuid)
  v2=${CEPH_DEV_MON_PORT:-$(free_port)}
  v1=$(free_port)
  mkdir -p "$DIR"/{run,log,crash,mon.a,mgr.x,osd.0,mds.a}
  write_conf "$fsid" "$v2" "$v1"
  ceph-authtool --create-keyring --gen-key -n mon. --cap mon 'allow *' "$kr" >/dev/null
  ceph-authtool --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
    --cap mds 'allow *' --cap mgr 'allow *' "$kr" >/dev/null
  ceph-authtool --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' \
    --cap mds 'allow *' "$kr" >/dev/null
  ceph-authtool --gen-key -n osd.0 --cap mon 'allow profile osd' --cap mgr 'allow profile osd' \
    --cap osd 'allow *' "$kr" >/dev/null
  ceph-authtool --gen-key -n mds.a --cap mon 'allow profile mds' --cap mgr 'allow profile mds' \
    --cap osd 'allow *' --cap mds 'allow' "$kr" >/dev/null
  chmod 600 "$kr"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$v2,v1:127.0.0.1:$v1]" \
    --enable-all-features --set-min-mon-release pacific "$DIR/monmap" >/dev/null
  ceph-mon --conf "$DIR/ceph.conf" --mkfs -i a --monmap "$DIR/monmap" --keyring "$kr"
  start_mon
  uuid=$(cat /proc/sys/kernel/random/uuid)
  [[ $(cephc osd new "$uuid") == 0 ]] || die "the new OSD did not get id 0"
  ceph-osd --conf "$DIR/ceph.conf" -i 0 --mkfs --osd-uuid "$uuid" 2>>"$DIR/log/osd-mkfs.log" \
    || die "ceph-osd --mkfs failed (see $DIR/log/osd-mkfs.log)"
  start_mgr
  start_osd
  cephc osd pool create "${FS_NAME}_metadata" 16 16 >/dev/null 2>&1
  cephc osd pool create "${FS_NAME}_data" 16 16 >/dev/null 2>&1
  cephc fs new "$FS_NAME" "${FS_NAME}_metadata" "${FS_NAME}_data" >/dev/null 2>&1
  cephc fs set "$FS_NAME" standby_count_wanted 0 >/dev/null 2>&1
  # A dead client's session (its caps and file locks) lapses in a minute, not five.
  cephc fs set "$FS_NAME" session_timeout 30 >/dev/null
  cephc fs set "$FS_NAME" session_autoclose 30 >/dev/null
  touch "$DIR/.bootstrapped"
  log "bootstrapped"
}

alive() {  # NAME: its pid file names a live process of this cluster
  local pid
  pid=$(cat "$DIR/run/$1.pid" 2>/dev/null) || return 1
  [[ -n $pid ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/ceph.conf"
}

start_mon() {
  alive mon.a && return 0
  ceph-mon --conf "$DIR/ceph.conf" -i a 2>>"$DIR/log/daemons.stderr"
  wait_for 60 "the mon's quorum" cephc quorum_status
  log "mon up"
}

start_mgr() {
  [[ ${CEPH_DEV_MGR:-0} == 1 ]] || return 0
  alive mgr.x && return 0
  ceph-mgr --conf "$DIR/ceph.conf" -i x 2>>"$DIR/log/daemons.stderr"
  log "mgr started"
}

osd_up() { cephc osd dump -f json | grep -q '"up": *1'; }

start_osd() {
  alive osd.0 && return 0
  ceph-osd --conf "$DIR/ceph.conf" -i 0 2>>"$DIR/log/daemons.stderr"
  wait_for 90 "osd.0 up" osd_up
  log "osd up"
}

mds_active() { cephc fs get "$FS_NAME" -f json | grep -q '"state": *"up:active"'; }

start_mds() {
  alive mds.a || ceph-mds --conf "$DIR/ceph.conf" -i a 2>>"$DIR/log/daemons.stderr"
  wait_for 120 "an up:active MDS" mds_active
  log "mds up:active"
}

# The RGW: a reference S3 server on the same cluster for tests/bench (its pools take 8
# PGs each: at the default 32 its seven pools would pass the mon's 250 PGs per OSD).
# Measured on 2 shared vCPUs: up and answering in ~9 s on a fresh cluster.
RGW_ACCESS_KEY=CEPHDEVRGWACCESSKEY1
RGW_SECRET_KEY=cephdevrgwsecretkey000000000000000000001

cmd_rgw() {
  DIR=$(cd "$DIR" && pwd -P)
  command -v radosgw >/dev/null || die "radosgw is not installed (deploy/install-deps.sh)"
  mds_active || die "no running cluster in $DIR (start it first)"
  if ! alive client.rgw.a; then
    grep -qF '[client.rgw.a]' "$DIR/keyring" ||
      cephc auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' mgr 'allow rw' \
        >>"$DIR/keyring"
    cephc config set global osd_pool_default_pg_num 8 >/dev/null
    cephc config set global osd_pool_default_pgp_num 8 >/dev/null
    local port=${CEPH_DEV_RGW_PORT:-$(free_port)}
    mkdir -p "$DIR/rgw.a"
    echo "$port" >"$DIR/rgw.port"
    radosgw --conf "$DIR/ceph.conf" -n client.rgw.a --rgw-data "$DIR/rgw.a" \
      --rgw-frontends "beast endpoint=127.0.0.1:$port tcp_nodelay=1" 2>>"$DIR/log/daemons.stderr"
    wait_for 120 "radosgw answering on 127.0.0.1:$port" curl -sf -o /dev/null "http://127.0.0.1:$port/"
    timeout 60 radosgw-admin --conf "$DIR/ceph.conf" user info --uid fsgate-bench >/dev/null 2>&1 ||
      timeout 60 radosgw-admin --conf "$DIR/ceph.conf" user create --uid fsgate-bench \
        --display-name "fsgate bench" --access-key "$RGW_ACCESS_KEY" \
        --secret-key "$RGW_SECRET_KEY" >/dev/null
    log "rgw up"
  fi
  cmd_env
}

cmd_start() {
  command -v ceph-mon >/dev/null || die "the Ceph daemons are not installed (deploy/install-deps.sh)"
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd -P)
  trap 'rc=$?; ((rc == 0)) || { log "start failed, stopping"; stop_all; }' EXIT
  if [[ -f $DIR/.bootstrapped ]]; then
    start_mon
    start_mgr
    start_osd
  else
    [[ -z $(ls -A "$DIR") ]] || die "$DIR is neither empty nor a dev cluster"
    bootstrap
  fi
  start_mds
  trap - EXIT
  log "cluster up"
  cmd_env
}

stop_group() {  # NAME...: SIGTERM by pid file, wait up to 45 s, then SIGKILL
  local n pid pids=()
  for n in "$@"; do
    if alive "$n"; then
      pid=$(cat "$DIR/run/$n.pid")
      kill "$pid" 2>/dev/null && pids+=("$pid")
    fi
  done
  for _ in $(seq 150); do
    local left=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    ((${#left[@]})) || return 0
    sleep 0.3
  done
  for pid in "${left[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}

stop_all() {
  stop_group client.rgw.a mds.a
  stop_group osd.0 mgr.x
  stop_group mon.a
}

cmd_stop() {
  [[ -f $DIR/ceph.conf ]] || return 0
  DIR=$(cd "$DIR" && pwd -P)
  stop_all
  log "stopped"
}

cmd_wipe() {
  [[ -d $DIR ]] || return 0
  [[ -f $DIR/ceph.conf || -z $(ls -A "$DIR") ]] || die "$DIR is not a dev cluster"
  DIR=$(cd "$DIR" && pwd -P)
  # Its data goes too, so nothing needs a clean shutdown (which takes 10-15 s).
  local n
  for n in client.rgw.a mds.a osd.0 mgr.x mon.a; do
    alive "$n" && kill -9 "$(cat "$DIR/run/$n.pid")" 2>/dev/null || true
  done
  rm -rf "${DIR:?}"
  log "wiped"
}

cmd_env() {
  DIR=$(cd "$DIR" && pwd -P)
  echo "export CEPH_CONF=$DIR/ceph.conf"
  echo "export CEPH_KEYRING=$DIR/keyring"
  echo "export CEPH_ID=admin"
  echo "export CEPH_FS_NAME=$FS_NAME"
  if alive client.rgw.a; then
    echo "export S3_ENDPOINT=127.0.0.1:$(cat "$DIR/rgw.port")"
    echo "export S3_ACCESS_KEY=$RGW_ACCESS_KEY"
    echo "export S3_SECRET_KEY=$RGW_SECRET_KEY"
  fi
}

[[ $# == 2 ]] || { sed -n '2,/^set -e/p' "$0" | grep '^#'; exit 2; }
DIR=$2
case $1 in
  start) cmd_start ;;
  stop) cmd_stop ;;
  wipe) cmd_wipe ;;
  env) cmd_env ;;
  rgw) cmd_rgw ;;
  *) sed -n '2,/^set -e/p' "$0" | grep '^#'; exit 2 ;;
esac
