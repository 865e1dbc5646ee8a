#!/usr/bin/env bash
# Schema-driven testing of the reference escrow server with schemathesis,
# against the full docs/openapi.yaml, through a proxy that signs device
# requests (tests/external/signing_proxy.py). Bounded: a few examples per
# operation and at most ST_MAX_TIME seconds (default 60). Fails on any 5xx, any
# answer that breaks the schema, and the other checks listed below; what still
# fails by design is written in docs/protocol.md ("Schema-driven testing").
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import schemathesis' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi
cargo build --quiet -p escrow-reference-server --bins
# Run from the scratch directory so schemathesis leaves no cache in the tree.
export REPO=$PWD
exec tests/external/with_reference_server.sh bash -c '
  set -euo pipefail
  cd "$WORKDIR"
  python3 "$REPO/tests/external/signing_proxy.py" "$BASE_URL" "$ADMIN_TOKEN" "$WORKDIR/proxy.port" &
  proxy=$!
  trap "kill $proxy 2>/dev/null || true" EXIT
  exec 4< <(tail -F "$WORKDIR/proxy.port" --pid "$proxy" 2>/dev/null)
  read -r -t 30 port <&4 || { echo "the signing proxy did not start"; exit 1; }
  run_st() {
    schemathesis run "$REPO/docs/openapi.yaml" \
      --url "http://127.0.0.1:$port" \
      --header "Authorization: Bearer $ADMIN_TOKEN" \
      --exclude-path /v1/admin/faults \
      --phases examples,coverage,fuzzing \
      --max-examples "${ST_MAX_EXAMPLES:-25}" \
      --seed "${ST_SEED:-11}" \
      --workers 1 \
      --generation-database none \
      --no-color "$@"
  }
  checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,missing_required_header,unsupported_method
  # Every operation but the upload, with every check.
  run_st --exclude-path /v1/events --checks "$checks,negative_data_rejection" --max-time "${ST_MAX_TIME:-45}"
  # The upload answers 200 with a per-event `malformed` rejection for an event
  # that breaks the schema (a fault in one event is not the whole request'"'"'s):
  # every check but "invalid data gets a 4xx".
  run_st --include-path /v1/events --checks "$checks" --max-time "${ST_MAX_TIME:-45}"
'
