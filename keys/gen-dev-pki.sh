#!/usr/bin/env bash
# gen-dev-pki.sh -- generate a throw-away PKI for masa development and tests.
#
#   !!! DEVELOPMENT AND TESTS ONLY -- NEVER USE ANY OF THIS IN PRODUCTION !!!
#
# Usage: keys/gen-dev-pki.sh OUTDIR [--masa-url HOST[:PORT]]
#
# Creates (all PEM, private keys PKCS#8 mode 0600, everything else 0644):
#   manufacturer root CA, IDevID issuing CA, three pledge IDevIDs,
#   a domain CA with three registrar certificates, two bare registrar key
#   pairs, and MANIFEST.txt describing every file.  See keys/README.md.
# Uses only the `openssl` command-line tool (OpenSSL 3.0).
set -euo pipefail
umask 077

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
readonly CNF="$SCRIPT_DIR/dev-pki.cnf"
readonly PROG=${0##*/}
# IEEE 802.1AR "no well-defined expiration date" (GeneralizedTime).
readonly FOREVER=99991231235959Z
# Validity of the domain (registrar) side, in days.
readonly DOMAIN_DAYS=3650
readonly DEFAULT_MASA_URL=localhost:8443

OUTDIR=
MASA_URL=$DEFAULT_MASA_URL
WORK=      # scratch dir: openssl ca database, CSRs, log
STAGE=     # files are built here and moved into OUTDIR at the very end
MANIFEST=()

# usage: print the usage text.
usage() {
    cat <<EOF
Usage: $PROG OUTDIR [--masa-url HOST[:PORT]]

Generate a DEVELOPMENT/TEST-ONLY PKI for masa into OUTDIR (must not exist or
be empty).  --masa-url sets the id-pe-masa-url extension of the pledge
IDevIDs (default: $DEFAULT_MASA_URL).
EOF
}

# die MSG...: print an error and exit 1.
die() {
    echo "$PROG: error: $*" >&2
    exit 1
}

# usage_error MSG...: print an error plus usage and exit 2.
usage_error() {
    echo "$PROG: $*" >&2
    usage >&2
    exit 2
}

# parse_args ARGS...: set OUTDIR and MASA_URL from the command line.
parse_args() {
    while (($#)); do
        case $1 in
            -h | --help) usage; exit 0 ;;
            --masa-url)
                (($# >= 2)) || usage_error "--masa-url needs a value"
                MASA_URL=$2
                shift 2 ;;
            --masa-url=*) MASA_URL=${1#*=}; shift ;;
            --) shift; (($# == 1)) || usage_error "expected exactly one OUTDIR"
                [[ -z $OUTDIR ]] || usage_error "expected exactly one OUTDIR"
                OUTDIR=$1; shift ;;
            -*) usage_error "unknown option: $1" ;;
            *)  [[ -z $OUTDIR ]] || usage_error "expected exactly one OUTDIR"
                OUTDIR=$1; shift ;;
        esac
    done
    [[ -n $OUTDIR ]] || usage_error "missing OUTDIR"

    # HOST is a DNS name, IPv4 address or [IPv6] literal; PORT is optional.
    local re='^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$'
    [[ $MASA_URL =~ $re ]] || usage_error "invalid --masa-url '$MASA_URL' (want HOST[:PORT])"
}

# check_outdir: refuse an OUTDIR that is not a directory or is not empty.
check_outdir() {
    if [[ -e $OUTDIR || -L $OUTDIR ]]; then
        [[ -d $OUTDIR ]] || die "$OUTDIR exists and is not a directory"
        [[ -z $(ls -A -- "$OUTDIR") ]] || die "refusing to write into non-empty directory $OUTDIR"
    fi
}

# ossl ARGS...: run openssl with output going to the log; show the log on failure.
ossl() {
    if ! openssl "$@" >>"$WORK/openssl.log" 2>&1; then
        echo "$PROG: openssl $1 failed; log follows:" >&2
        tail -n 30 "$WORK/openssl.log" >&2
        return 1
    fi
}

# note FILE PURPOSE: remember one MANIFEST.txt line.
note() {
    MANIFEST+=("$(printf '%-30s %s' "$1" "$2")")
}

# alg_label ALG: human-readable name of a key algorithm (es256 / eddsa).
alg_label() {
    case $1 in
        es256) echo P-256 ;;
        eddsa) echo Ed25519 ;;
        *) die "internal: unknown key algorithm $1" ;;
    esac
}

# new_key NAME ALG PURPOSE: create NAME.key (PKCS#8 PEM); ALG is es256 (P-256) or eddsa (Ed25519).
new_key() {
    local name=$1 alg=$2 purpose=$3
    case $alg in
        es256) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                   -pkeyopt ec_param_enc:named_curve -out "$STAGE/$name.key" ;;
        eddsa) ossl genpkey -algorithm ED25519 -out "$STAGE/$name.key" ;;
        *) die "internal: unknown key algorithm $alg" ;;
    esac
    chmod 600 "$STAGE/$name.key"
    note "$name.key" "$purpose"
}

# export_pub NAME PURPOSE: write the public half of NAME.key as SubjectPublicKeyInfo NAME.pub.pem.
export_pub() {
    local name=$1 purpose=$2
    ossl pkey -in "$STAGE/$name.key" -pubout -out "$STAGE/$name.pub.pem"
    chmod 644 "$STAGE/$name.pub.pem"
    note "$name.pub.pem" "$purpose"
}

# issue NAME SUBJECT EXT ISSUER VALIDITY PURPOSE: certify NAME.key as NAME.crt.
#   EXT is an extension section of dev-pki.cnf; ISSUER is the base name of the
#   signing CA or "self"; VALIDITY is an end date (...Z) or a number of days.
issue() {
    local name=$1 subject=$2 ext=$3 issuer=$4 validity=$5 purpose=$6
    local csr="$WORK/$name.csr" signer period

    ossl req -new -config "$CNF" -key "$STAGE/$name.key" -subj "$subject" -out "$csr"
    if [[ $issuer == self ]]; then
        signer=(-selfsign -keyfile "$STAGE/$name.key")
    else
        signer=(-cert "$STAGE/$issuer.crt" -keyfile "$STAGE/$issuer.key")
    fi
    if [[ $validity == *Z ]]; then
        period=(-enddate "$validity")
    else
        period=(-days "$validity")
    fi
    ossl ca -batch -config "$CNF" -notext -rand_serial -preserveDN \
        "${signer[@]}" "${period[@]}" -extensions "$ext" \
        -in "$csr" -out "$STAGE/$name.crt"
    chmod 644 "$STAGE/$name.crt"
    note "$name.crt" "$purpose"
}

# make_pledge NAME ALG SERIAL: pledge key, IDevID certificate and .pub.pem.
make_pledge() {
    local name=$1 alg=$2 serial=$3 what
    what="pledge $serial ($(alg_label "$alg"))"
    new_key "$name" "$alg" "$what IDevID private key: pledge side of voucher-request signing/TLS tests"
    issue "$name" "/CN=DEV ONLY pledge $serial/serialNumber=$serial" ext_pledge_idevid \
        idevid-ca "$FOREVER" \
        "$what IDevID cert (serialNumber=$serial, masa-url=$MASA_URL): MASA input/validation tests"
    export_pub "$name" "$what public key (SPKI): raw-public-key and pinning tests"
}

# make_manufacturer_pki: manufacturer root CA, IDevID issuing CA and the pledges.
make_manufacturer_pki() {
    new_key manufacturer-ca es256 "manufacturer root CA private key (only needed to re-issue the IDevID CA)"
    issue manufacturer-ca "/CN=DEV ONLY masa test manufacturer root CA" ext_root_ca \
        self "$FOREVER" "manufacturer root CA cert: trust anchor for verifying pledge IDevIDs"

    new_key idevid-ca es256 "IDevID issuing CA private key (signs pledge IDevIDs)"
    issue idevid-ca "/CN=DEV ONLY masa test IDevID issuing CA" ext_idevid_ca \
        manufacturer-ca "$FOREVER" "IDevID issuing CA cert: intermediate of every pledge IDevID chain"

    make_pledge pledge-es256-SN0001 es256 SN0001
    make_pledge pledge-es256-SN0002 es256 SN0002
    make_pledge pledge-eddsa-SN0003 eddsa SN0003
}

# make_registrar NAME ALG EXT PURPOSE: registrar key and certificate signed by domain-ca.
make_registrar() {
    local name=$1 alg=$2 ext=$3 purpose=$4
    new_key "$name" "$alg" "$purpose: private key"
    issue "$name" "/CN=DEV ONLY $name registrar.example" "$ext" domain-ca "$DOMAIN_DAYS" \
        "$purpose: certificate (SAN DNS:registrar.example)"
}

# make_domain_pki: domain CA and the registrar certificates.
make_domain_pki() {
    new_key domain-ca es256 "domain CA private key (signs registrar certs)"
    issue domain-ca "/CN=DEV ONLY masa test domain CA" ext_root_ca self "$DOMAIN_DAYS" \
        "domain CA cert: trust anchor for registrar certs"

    make_registrar registrar-es256 es256 ext_registrar \
        "registrar P-256 with cmcRA+serverAuth+clientAuth (positive voucher-request/TLS tests)"
    make_registrar registrar-nocmcra es256 ext_registrar_nocmcra \
        "registrar P-256 WITHOUT cmcRA (negative tests: MASA must reject)"
    make_registrar registrar-eddsa eddsa ext_registrar \
        "registrar Ed25519 with cmcRA+serverAuth+clientAuth (EdDSA tests)"
}

# make_raw_keys: registrar key pairs without any certificate.
make_raw_keys() {
    local alg
    for alg in es256 eddsa; do
        new_key "registrar-raw-$alg" "$alg" \
            "bare registrar $(alg_label "$alg") private key, no certificate (raw-public-key / unknown-signer tests)"
        export_pub "registrar-raw-$alg" \
            "bare registrar $(alg_label "$alg") public key (SPKI) matching registrar-raw-$alg.key"
    done
}

# write_manifest: write MANIFEST.txt listing every generated file.
write_manifest() {
    note MANIFEST.txt "this list"
    {
        echo "# masa development PKI -- DEVELOPMENT AND TESTS ONLY, NEVER USE IN PRODUCTION"
        echo "# generated by keys/gen-dev-pki.sh; id-pe-masa-url = $MASA_URL"
        printf '%s\n' "${MANIFEST[@]}"
    } >"$STAGE/MANIFEST.txt"
    chmod 644 "$STAGE/MANIFEST.txt"
}

# install_output: move the finished files into OUTDIR (created if missing).
install_output() {
    check_outdir
    mkdir -p -- "$OUTDIR"
    mv -- "$STAGE"/* "$OUTDIR"/
}

# main ARGS...: parse arguments, build everything in a scratch dir, install it.
main() {
    parse_args "$@"
    check_outdir
    command -v openssl >/dev/null || die "openssl not found in PATH"
    [[ -r $CNF ]] || die "missing $CNF"

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/gen-dev-pki.XXXXXX")
    trap 'rm -rf -- "$WORK"' EXIT
    STAGE=$WORK/out
    mkdir "$STAGE" "$WORK/newcerts"
    : >"$WORK/index.txt"
    export DEV_PKI_WORK=$WORK DEV_PKI_MASA_URL=$MASA_URL

    make_manufacturer_pki
    make_domain_pki
    make_raw_keys
    write_manifest
    install_output
}

main "$@"
