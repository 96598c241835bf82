#!/usr/bin/env bash
# install-deps.sh GROUP...: install the Debian packages a job needs, only those missing.
#
#   test   what `make test` needs: compilers, bats with its libraries, valgrind, the
#          gnuplot and hyperfine that the plot and bench smoke tests drive, GNU parallel
#          (bats runs test files side by side with it) and curl (a real HTTP client)
#   bench  what `make bench` needs on top: hyperfine, gnuplot, GLib, OpenMP, oneTBB (with
#          g++ for bench/peers_tbb.cpp), python3, and the http step's wrk and nginx-light
#          (the bench starts its own nginx on 127.0.0.1; Debian's service is not used)
#   mpi    OpenMPI (mpicc, mpirun) for the MPI lesson
#
# As root it runs apt-get; with password-less sudo it runs sudo apt-get; otherwise it
# prints the exact command to run and exits 1. Nothing is installed when nothing is missing.
set -euo pipefail

packages_for() {
    case "$1" in
        test)  echo make gcc clang libc6-dev libclang-rt-14-dev bats bats-assert bats-support valgrind \
                   gnuplot-nox hyperfine python3 parallel curl ;;
        bench) echo make gcc g++ libgomp1 hyperfine gnuplot-nox libglib2.0-dev libtbb-dev pkg-config \
                   python3 procps wrk nginx-light ;;
        mpi)   echo openmpi-bin libopenmpi-dev ;;
        *)     echo "install-deps.sh: unknown group '$1' (expected test, bench or mpi)" >&2; exit 2 ;;
    esac
}

[ $# -gt 0 ] || { echo "usage: scripts/install-deps.sh test|bench|mpi ..." >&2; exit 2; }

missing=()
for group in "$@"; do
    for pkg in $(packages_for "$group"); do
        # Any of Debian's nginx flavours will do (nginx, nginx-full, ...): installing
        # nginx-light beside one would replace it.
        [ "$pkg" = nginx-light ] && [ -x /usr/sbin/nginx ] && continue
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        [ "$status" = "install ok installed" ] || missing+=("$pkg")
    done
done
[ ${#missing[@]} -gt 0 ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
else
    echo "install-deps.sh: missing Debian packages: ${missing[*]}" >&2
    echo "install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Debian starts the nginx it installs as a service on port 80 of every address, and enables
# it at boot. The bench runs an nginx of its own on 127.0.0.1 only, so the service we just
# installed is stopped and disabled (an nginx that was there before is never touched).
if [[ " ${missing[*]} " == *" nginx-light "* ]]; then
    if [ -d /run/systemd/system ]; then
        "${sudo[@]}" systemctl disable --now nginx >/dev/null 2>&1 || true
    elif command -v update-rc.d >/dev/null 2>&1; then
        "${sudo[@]}" invoke-rc.d nginx stop >/dev/null 2>&1 || true
        "${sudo[@]}" update-rc.d nginx disable >/dev/null 2>&1 || true
    fi
    echo "install-deps.sh: the nginx service Debian starts is stopped and disabled; the bench runs its own on 127.0.0.1" >&2
fi
