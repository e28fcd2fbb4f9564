#!/usr/bin/env bash
# test_dev_pki.sh -- check the output of keys/gen-dev-pki.sh with the openssl CLI.
#
# Usage: tests/keys/test_dev_pki.sh [PATH/TO/gen-dev-pki.sh]
# Generates into temporary directories, prints one line per check and
# "N passed, N failed" as the last line; exits non-zero if any check failed.
set -uo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
GEN=${1:-$HERE/../../keys/gen-dev-pki.sh}

PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_dev_pki.XXXXXX")
trap 'rm -rf -- "$TMP"' EXIT

PLEDGES=(pledge-es256-SN0001 pledge-es256-SN0002 pledge-eddsa-SN0003)
REGISTRARS=(registrar-es256 registrar-nocmcra registrar-eddsa)
# name:algorithm of every private key the script must create
KEYS=(manufacturer-ca:es256 idevid-ca:es256 domain-ca:es256
      pledge-es256-SN0001:es256 pledge-es256-SN0002:es256 pledge-eddsa-SN0003:eddsa
      registrar-es256:es256 registrar-nocmcra:es256 registrar-eddsa:eddsa
      registrar-raw-es256:es256 registrar-raw-eddsa:eddsa)
CERTS=(manufacturer-ca idevid-ca domain-ca "${PLEDGES[@]}" "${REGISTRARS[@]}")
PUBS=("${PLEDGES[@]}" registrar-raw-es256 registrar-raw-eddsa)

# check DESC CMD...: run CMD (output discarded) and count it as passed if it exits 0.
check() {
    local desc=$1
    shift
    if "$@" >/dev/null 2>&1; then
        PASSED=$((PASSED + 1))
        echo "ok   - $desc"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL - $desc"
    fi
}

# not CMD...: succeed iff CMD fails.
not() { ! "$@"; }

# equal A B: succeed iff the two strings are identical.
equal() { [[ $1 == "$2" ]]; }

# verify_chain CAFILE UNTRUSTED|- CERT: strict path validation with openssl verify.
verify_chain() {
    local ca=$1 untrusted=$2 cert=$3 out
    local args=(-x509_strict -CAfile "$ca")
    [[ $untrusted == - ]] || args+=(-untrusted "$untrusted")
    out=$(openssl verify "${args[@]}" "$cert" 2>&1) && [[ $out == "$cert: OK" ]]
}

# subject_rdns CERT: the subject's RDNs, one per line, attribute types as numeric OIDs.
subject_rdns() {
    openssl x509 -in "$1" -noout -subject -nameopt RFC2253,oid | sed 's/^subject=//' | tr ',' '\n'
}

# has_serial CERT SERIAL: subject has exactly one serialNumber (2.5.4.5) RDN, equal to SERIAL.
has_serial() {
    local rdns
    rdns=$(subject_rdns "$1") || return 1
    [[ $(grep -c '^2\.5\.4\.5=' <<<"$rdns") == 1 ]] && grep -qx "2\.5\.4\.5=$2" <<<"$rdns"
}

# cn_dev_only CERT: subject CN (2.5.4.3) contains "DEV ONLY".
cn_dev_only() {
    subject_rdns "$1" | grep -q '^2\.5\.4\.3=.*DEV ONLY'
}

# masa_url CERT: print the id-pe-masa-url value; fails unless the extension occurs
# exactly once and its extnValue is exactly one DER IA5String.
masa_url() {
    local cert=$1 parsed offsets inner
    parsed=$(openssl asn1parse -in "$cert") || return 1
    offsets=$(awk '/prim: OBJECT +:1\.3\.6\.1\.5\.5\.7\.1\.32$/ { f = 1; next }
                   f && /prim: OCTET STRING/ { sub(/:.*/, ""); gsub(/ /, ""); print; f = 0 }' <<<"$parsed")
    [[ $offsets =~ ^[0-9]+$ ]] || return 1
    inner=$(openssl asn1parse -in "$cert" -strparse "$offsets") || return 1
    [[ $(wc -l <<<"$inner") == 1 && $inner =~ prim:\ IA5STRING\ +:(.*)$ ]] || return 1
    printf '%s\n' "${BASH_REMATCH[1]}"
}

# masa_url_is CERT URL: the id-pe-masa-url extension holds IA5String URL.
masa_url_is() {
    local got
    got=$(masa_url "$1") && [[ $got == "$2" ]]
}

# ext_text CERT EXTNAME: openssl's text rendering of one extension.
ext_text() {
    openssl x509 -in "$1" -noout -ext "$2"
}

# ext_matches CERT EXTNAME REGEX: the extension's text (header + value) matches REGEX.
ext_matches() {
    local txt
    txt=$(ext_text "$1" "$2") && [[ -n $txt ]] && grep -Eq -- "$3" <<<"$(tr '\n' ' ' <<<"$txt")"
}

# has_cmcra CERT: extendedKeyUsage contains id-kp-cmcRA (1.3.6.1.5.5.7.3.28).
has_cmcra() {
    ext_matches "$1" extendedKeyUsage 'CMC Registration Authority|1\.3\.6\.1\.5\.5\.7\.3\.28'
}

# tls_eku CERT: extendedKeyUsage contains serverAuth and clientAuth.
tls_eku() {
    ext_matches "$1" extendedKeyUsage 'TLS Web Server Authentication' &&
        ext_matches "$1" extendedKeyUsage 'TLS Web Client Authentication'
}

# keyid CERT EXT: the key identifier hex of subjectKeyIdentifier / authorityKeyIdentifier.
keyid() {
    ext_text "$1" "$2" | grep -oE '([0-9A-F]{2}:){19}[0-9A-F]{2}' | head -n 1
}

# aki_matches CERT ISSUER: CERT's AKI keyid equals ISSUER's SKI.
aki_matches() {
    local aki ski
    aki=$(keyid "$1" authorityKeyIdentifier) && ski=$(keyid "$2" subjectKeyIdentifier) &&
        [[ -n $aki && $aki == "$ski" ]]
}

# not_after_forever CERT: notAfter is the 802.1AR GeneralizedTime 99991231235959Z.
not_after_forever() {
    [[ $(openssl x509 -in "$1" -noout -enddate) == "notAfter=Dec 31 23:59:59 9999 GMT" ]] &&
        openssl asn1parse -in "$1" | grep -Eq 'prim: GENERALIZEDTIME +:99991231235959Z$'
}

# self_signed CERT: subject equals issuer and the certificate verifies against itself.
self_signed() {
    [[ $(openssl x509 -in "$1" -noout -subject | sed 's/^subject=//') == \
       $(openssl x509 -in "$1" -noout -issuer | sed 's/^issuer=//') ]] && verify_chain "$1" - "$1"
}

# mode_is FILE MODE: FILE has octal permission bits MODE.
mode_is() {
    [[ -f $1 && $(stat -c %a -- "$1") == "$2" ]]
}

# cert_key_is_ed25519 CERT: the certified public key is Ed25519.
cert_key_is_ed25519() {
    openssl x509 -in "$1" -noout -text | grep -q 'Public Key Algorithm: ED25519$'
}

# first_line_is FILE LINE: FILE's first line is LINE.
first_line_is() {
    [[ $(head -n 1 -- "$1") == "$2" ]]
}

# key_alg_is KEYFILE es256|eddsa: the private key is P-256 or Ed25519.
key_alg_is() {
    local txt
    txt=$(openssl pkey -in "$1" -text -noout) || return 1
    case $2 in
        eddsa) [[ $(head -n 1 <<<"$txt") == "ED25519 Private-Key:" ]] ;;
        es256) grep -q '^NIST CURVE: P-256$' <<<"$txt" && grep -q '^ASN1 OID: prime256v1$' <<<"$txt" ;;
        *) return 1 ;;
    esac
}

# pub_matches KEYFILE PUBFILE: PUBFILE is SPKI PEM of KEYFILE's public key.
pub_matches() {
    local a b
    first_line_is "$2" "-----BEGIN PUBLIC KEY-----" || return 1
    a=$(openssl pkey -in "$1" -pubout) && b=$(openssl pkey -pubin -in "$2" -pubout) &&
        [[ -n $a && $a == "$b" ]]
}

# cert_key_matches CERTFILE KEYFILE: the certificate certifies KEYFILE's public key.
cert_key_matches() {
    local a b
    a=$(openssl x509 -in "$1" -noout -pubkey) && b=$(openssl pkey -in "$2" -pubout) &&
        [[ -n $a && $a == "$b" ]]
}

# list_dir DIR: sorted names of the entries in DIR.
list_dir() {
    find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort
}

# manifest_complete DIR: MANIFEST.txt names every file in DIR exactly once, with a description, and nothing else.
manifest_complete() {
    local listed actual
    listed=$(grep -v '^#' "$1/MANIFEST.txt" | awk 'NF >= 2 { print $1 }' | sort) || return 1
    actual=$(list_dir "$1")
    [[ -n $listed && $listed == "$actual" && -z $(uniq -d <<<"$listed") &&
       $(grep -vc '^#' "$1/MANIFEST.txt") == $(wc -l <<<"$actual") ]]
}

# files_exactly DIR NAMES...: DIR contains exactly the files NAMES.
files_exactly() {
    local dir=$1
    shift
    [[ $(list_dir "$dir") == $(printf '%s\n' "$@" | sort) ]]
}

# snapshot DIR: names, modes and checksums of everything in DIR.
snapshot() {
    (cd -- "$1" && find . -printf '%p %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# refuses DIR ARGS...: the generator exits non-zero and leaves DIR unchanged.
refuses() {
    local dir=$1 before after
    shift
    before=$(snapshot "$dir")
    if "$GEN" "$dir" "$@" >/dev/null 2>&1; then return 1; fi
    after=$(snapshot "$dir")
    [[ $before == "$after" ]]
}

# runs_fast DIR ARGS...: the generator succeeds in under 5 seconds.
runs_fast() {
    local start end
    start=$(date +%s%N)
    "$GEN" "$@" || return 1
    end=$(date +%s%N)
    echo "generation took $(((end - start) / 1000000)) ms" >&2
    ((end - start < 5000000000))
}

echo "# generator: $GEN"
if [[ ! -x $GEN ]]; then
    echo "FAIL - $GEN is not an executable file"
    echo "0 passed, 1 failed"
    exit 1
fi

OUT=$TMP/pki
OUT2=$TMP/pki-custom
mkdir -- "$OUT2"    # existing but empty: must be accepted

# --- generation ---------------------------------------------------------------
check "generate into new dir in < 5 s" runs_fast "$OUT"
check "generate with --masa-url example.com:9443 into existing empty dir" \
    runs_fast "$OUT2" --masa-url example.com:9443

expected=(MANIFEST.txt)
for k in "${KEYS[@]}"; do expected+=("${k%%:*}.key"); done
for c in "${CERTS[@]}"; do expected+=("$c.crt"); done
for p in "${PUBS[@]}"; do expected+=("$p.pub.pem"); done
check "output contains exactly the ${#expected[@]} expected files" files_exactly "$OUT" "${expected[@]}"
check "custom-URL output contains exactly the expected files" files_exactly "$OUT2" "${expected[@]}"
check "MANIFEST.txt describes every file exactly once" manifest_complete "$OUT"
check "MANIFEST.txt is mode 644" mode_is "$OUT/MANIFEST.txt" 644

# --- argument handling ------------------------------------------------------------
check "refuses to run without OUTDIR" not "$GEN"
check "refuses an invalid --masa-url and creates nothing" \
    not "$GEN" "$TMP/bad-url" --masa-url 'bad url#x'
check "  ... and $TMP/bad-url was not created" not test -e "$TMP/bad-url"
mkdir -- "$TMP/nonempty" && echo keep >"$TMP/nonempty/precious.txt"
check "refuses non-empty OUTDIR (unrelated file), dir unchanged" refuses "$TMP/nonempty"
check "refuses its own previous output, dir unchanged" refuses "$OUT"
check "refuses previous output also with --masa-url, dir unchanged" \
    refuses "$OUT2" --masa-url example.com:9443
check "a second run creates fresh keys" \
    not cmp -s "$OUT/manufacturer-ca.key" "$OUT2/manufacturer-ca.key"

# --- private and public keys ------------------------------------------------------
for k in "${KEYS[@]}"; do
    name=${k%%:*} alg=${k##*:}
    check "$name.key is mode 600" mode_is "$OUT/$name.key" 600
    check "$name.key is unencrypted PKCS#8 PEM" first_line_is "$OUT/$name.key" "-----BEGIN PRIVATE KEY-----"
    check "$name.key is $alg" key_alg_is "$OUT/$name.key" "$alg"
done
for p in "${PUBS[@]}"; do
    check "$p.pub.pem is mode 644" mode_is "$OUT/$p.pub.pem" 644
    check "$p.pub.pem is the SPKI of $p.key" pub_matches "$OUT/$p.key" "$OUT/$p.pub.pem"
done
check "pub.pem mismatch is detected (sanity)" \
    not pub_matches "$OUT/pledge-es256-SN0001.key" "$OUT/pledge-es256-SN0002.pub.pem"

# --- all certificates -------------------------------------------------------------
for c in "${CERTS[@]}"; do
    check "$c.crt is mode 644" mode_is "$OUT/$c.crt" 644
    check "$c.crt certifies $c.key" cert_key_matches "$OUT/$c.crt" "$OUT/$c.key"
    check "$c.crt CN contains DEV ONLY" cn_dev_only "$OUT/$c.crt"
    check "$c.crt has a subjectKeyIdentifier" ext_matches "$OUT/$c.crt" subjectKeyIdentifier '([0-9A-F]{2}:){19}'
done

# --- CA certificates --------------------------------------------------------------
for ca in manufacturer-ca domain-ca; do
    check "$ca is self-signed" self_signed "$OUT/$ca.crt"
    check "$ca basicConstraints critical CA:TRUE" \
        ext_matches "$OUT/$ca.crt" basicConstraints 'Basic Constraints: critical +CA:TRUE *$'
done
for ca in manufacturer-ca idevid-ca domain-ca; do
    check "$ca keyUsage critical keyCertSign,cRLSign" \
        ext_matches "$OUT/$ca.crt" keyUsage 'Key Usage: critical +Certificate Sign, CRL Sign *$'
done
check "idevid-ca basicConstraints critical CA:TRUE, pathlen:0" \
    ext_matches "$OUT/idevid-ca.crt" basicConstraints 'Basic Constraints: critical +CA:TRUE, pathlen:0 *$'
check "idevid-ca AKI = manufacturer-ca SKI" aki_matches "$OUT/idevid-ca.crt" "$OUT/manufacturer-ca.crt"
check "idevid-ca verifies against manufacturer-ca" \
    verify_chain "$OUT/manufacturer-ca.crt" - "$OUT/idevid-ca.crt"
check "idevid-ca is not self-signed (sanity)" not self_signed "$OUT/idevid-ca.crt"
for ca in manufacturer-ca idevid-ca; do
    check "$ca notAfter is GeneralizedTime 99991231235959Z" not_after_forever "$OUT/$ca.crt"
done

# --- pledge IDevIDs ---------------------------------------------------------------
for p in "${PLEDGES[@]}"; do
    crt=$OUT/$p.crt serial=${p##*-}
    check "$p verifies: manufacturer-ca <- idevid-ca <- pledge" \
        verify_chain "$OUT/manufacturer-ca.crt" "$OUT/idevid-ca.crt" "$crt"
    check "$p does not verify against domain-ca (sanity)" \
        not verify_chain "$OUT/domain-ca.crt" "$OUT/idevid-ca.crt" "$crt"
    check "$p subject has serialNumber (2.5.4.5) = $serial" has_serial "$crt" "$serial"
    check "$p subject has no other serialNumber (sanity)" not has_serial "$crt" SN9999
    check "$p masa-url (1.3.6.1.5.5.7.1.32) is IA5String localhost:8443" masa_url_is "$crt" localhost:8443
    check "custom $p masa-url is IA5String example.com:9443" masa_url_is "$OUT2/$p.crt" example.com:9443
    check "custom $p verifies against its own chain" \
        verify_chain "$OUT2/manufacturer-ca.crt" "$OUT2/idevid-ca.crt" "$OUT2/$p.crt"
    check "$p keyUsage critical digitalSignature only" \
        ext_matches "$crt" keyUsage 'Key Usage: critical +Digital Signature *$'
    check "$p basicConstraints CA:FALSE" ext_matches "$crt" basicConstraints 'CA:FALSE *$'
    check "$p AKI = idevid-ca SKI" aki_matches "$crt" "$OUT/idevid-ca.crt"
    check "$p notAfter is GeneralizedTime 99991231235959Z" not_after_forever "$crt"
done
check "an ES256 pledge cert is not Ed25519 (sanity)" not cert_key_is_ed25519 "$OUT/pledge-es256-SN0001.crt"
check "a registrar cert has no masa-url (sanity)" not masa_url "$OUT/registrar-es256.crt"
check "Ed25519 pledge cert carries an ED25519 key" \
    cert_key_is_ed25519 "$OUT/pledge-eddsa-SN0003.crt"

# --- registrar certificates -------------------------------------------------------
for r in "${REGISTRARS[@]}"; do
    crt=$OUT/$r.crt
    check "$r verifies against domain-ca" verify_chain "$OUT/domain-ca.crt" - "$crt"
    check "$r does not verify against manufacturer-ca (sanity)" \
        not verify_chain "$OUT/manufacturer-ca.crt" "$OUT/idevid-ca.crt" "$crt"
    check "$r AKI = domain-ca SKI" aki_matches "$crt" "$OUT/domain-ca.crt"
    check "$r extendedKeyUsage has serverAuth and clientAuth" tls_eku "$crt"
    check "$r SAN is DNS:registrar.example" \
        ext_matches "$crt" subjectAltName 'Alternative Name: +DNS:registrar\.example *$'
    check "$r basicConstraints CA:FALSE" ext_matches "$crt" basicConstraints 'CA:FALSE *$'
done
check "registrar-es256 has id-kp-cmcRA" has_cmcra "$OUT/registrar-es256.crt"
check "registrar-eddsa has id-kp-cmcRA" has_cmcra "$OUT/registrar-eddsa.crt"
check "registrar-nocmcra has NO id-kp-cmcRA" not has_cmcra "$OUT/registrar-nocmcra.crt"
check "Ed25519 registrar cert carries an ED25519 key" \
    cert_key_is_ed25519 "$OUT/registrar-eddsa.crt"

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
