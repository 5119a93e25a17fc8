#!/usr/bin/env bash
# An installed florenz, as a user gets it (issue 29): `cmake --install` into a temporary prefix
# (MODE prefix), or the Debian package `make package` builds, unpacked with dpkg -x (MODE
# package: its file name and the Debian packages it declares too). Then, with the source tree
# (and the build folder) hidden under a tmpfs in a mount namespace of its own, from another
# folder: `florenz --version`, `validate` of an installed example grid, one tiny `run`, a
# corpus's tokenizer (florenz-tokenizer, found beside florenz), `submit --dry-run` with an
# installed site profile (its sbatch script calls the installed binary), its Lmod module, and
# no installed file naming the source or build folder.
#   installed_florenz_test.sh MODE SOURCE_DIR BUILD_DIR VERSION
# Exit 77 (CTest: skipped) where no mount namespace can be made (not root).
set -euo pipefail
mode=$1 source=$(realpath "$2") build=$(realpath "$3") version=$4
t=$(mktemp -d /tmp/florenz-installed.XXXXXX)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

case "$mode" in
  prefix)
    cmake --install "$build" --prefix "$t/prefix" >"$t/install.log"
    root=$t/prefix
    ;;
  package)
    (cd "$t" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$t/pkg" >"$t/cpack.log" 2>&1) ||
      { cat "$t/cpack.log"; fail "cpack"; }
    deb=$t/pkg/florenz_${version}_amd64.deb
    [ -f "$deb" ] || { ls "$t/pkg"; fail "no $deb"; }
    depends=$(dpkg-deb -f "$deb" Depends)
    echo "Depends: $depends"
    for package in libtorch libhdf5 libopenmpi libyaml-cpp libturbojpeg libpng libsentencepiece \
                   plplot-driver-cairo; do
      grep -q "$package" <<<"$depends" || fail "the package does not declare $package"
    done
    dpkg -x "$deb" "$t/unpacked"
    root=$t/unpacked/usr
    ;;
  *) fail "MODE is prefix or package, not $mode" ;;
esac

for file in bin/florenz bin/florenz-tokenizer share/florenz/grids/quickstart.yaml \
            share/florenz/grids/florenz_paper.yaml share/florenz/profiles/local.yaml \
            share/florenz/modulefiles/florenz/$version.lua \
            share/doc/florenz/README.md share/doc/florenz/gpu.md share/man/man1/florenz.1 \
            share/man/man1/florenz-run.1 share/man/man1/florenz-tokenizer.1; do
  [ -f "$root/$file" ] || fail "not installed: $file"
done
grep -q '^\.TH FLORENZ-RUN' "$root/share/man/man1/florenz-run.1" || fail "florenz-run.1 is no man page"
grep -q 'Train every run of a grid' "$root/share/man/man1/florenz-run.1" ||
  fail "florenz-run.1 lacks run's --help"
# No installed file, binaries included, names the source or the build folder.
if named=$(grep -rlaF -e "$source" -e "$build" "$root"); then
  fail "installed files name the source or build folder: $named"
fi

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
  echo "skipped: hiding the source tree needs a mount namespace (root)"
  exit 77
fi
cat >"$t/tiny.yaml" <<'YAML'
experiment: {name: installed-check}
data:
  image: rendered
  image_size: 32
  max_caption_tokens: 24
  languages: [en, de, es]
  coverage:
    caption: {en: train, de: train, es: eval}
    translate: {de: train, es: train}
model:
  patch_size: 8
  sizes: [xs]
training:
  budgets: [512]
  batch_size: 32
evaluation: {interval: 0, samples_per_pair: 16, metrics: [cross_entropy, bleu]}
execution: {device: cpu}
YAML
# The checks themselves, in a mount namespace where the source tree and the build folder are
# empty tmpfs: anything that reached into them fails.
cat >"$t/hidden.sh" <<'CHECKS'
set -euo pipefail
source=$1 build=$2 root=$3 t=$4
mount -t tmpfs florenz-hidden "$source"
case "$build" in "$source"/*) ;; *) mount -t tmpfs florenz-hidden "$build" ;; esac
[ ! -e "$source/CMakeLists.txt" ] && [ ! -e "$build/CMakeCache.txt" ]
cd "$t"
florenz=$root/bin/florenz
"$florenz" --version | tee version.txt
grep -q "^florenz .* (commit " version.txt
"$florenz" validate "$root/share/florenz/grids/quickstart.yaml" >validate.txt
grep -q "xs-" validate.txt
OMP_NUM_THREADS=1 "$florenz" run tiny.yaml --out out >run.txt 2>&1 || { cat run.txt; exit 1; }
grep -q completed run.txt
"$florenz" collect out >/dev/null
grep -q "florenz_commit" out/results.csv
"$florenz" data export "$root/share/florenz/grids/quickstart.yaml" --out shards --scenes 12 \
  --per-shard 5 >/dev/null
"$florenz" data tokenizer 'shards/train-{000000..000002}.tar' --vocab 300 --out tok.model \
  >tokenizer.txt
test -s tok.model
"$florenz" submit tiny.yaml --cluster "$root/share/florenz/profiles/local.yaml" --out submitted \
  --dry-run >submit.txt
grep -qF "$root/bin/florenz" submitted/slurm/job-1.sbatch
# The environment module puts the installed florenz on PATH and its man pages on MANPATH.
set +u  # Lmod's shell functions read unset variables
source /usr/share/lmod/lmod/init/bash
module use "$root/share/florenz/modulefiles"
module load florenz
[ "$(command -v florenz)" = "$root/bin/florenz" ]
[ "$FLORENZ_GRIDS" = "$root/share/florenz/grids" ]
case ":$MANPATH:" in *":$root/share/man:"*) ;; *) echo "MANPATH: $MANPATH"; exit 1 ;; esac
echo "installed florenz ran with $source hidden"
CHECKS
unshare --mount --propagation private bash "$t/hidden.sh" "$source" "$build" "$root" "$t"
