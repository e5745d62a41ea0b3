#!/usr/bin/env bash
# Installs SoftHSM2 from Debian's packages if missing, makes a throwaway token directory with
# one initialised token, and prints the environment the PKCS#11 tests read, as `export` lines:
#   eval "$(.ci/start-softhsm.sh)"
# The token and its PINs are for tests only (never a deployment's).
set -euo pipefail
dir="${SOFTHSM_DIR:-/tmp/dojang-softhsm}"
label="${DOJANG_TEST_HSM_TOKEN:-dojang-test}"
pin="dojang-test-pin"
if [ ! -e /usr/lib/softhsm/libsofthsm2.so ]; then
  export DEBIAN_FRONTEND=noninteractive
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2; apt-get install -y -qq softhsm2 >&2
  else sudo apt-get update -qq >&2; sudo apt-get install -y -qq softhsm2 >&2; fi
fi
mkdir -p "$dir/tokens"
chmod 0700 "$dir"
cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF="$dir/softhsm2.conf"
if ! softhsm2-util --show-slots 2>/dev/null | grep -q "Label:.*\b$label\b"; then
  softhsm2-util --init-token --free --label "$label" --so-pin "$pin-so" --pin "$pin" >&2
fi
echo "export SOFTHSM2_CONF='$SOFTHSM2_CONF'"
echo "export DOJANG_TEST_HSM_MODULE='/usr/lib/softhsm/libsofthsm2.so'"
echo "export DOJANG_TEST_HSM_TOKEN='$label'"
echo "export DOJANG_TEST_HSM_PIN='$pin'"
