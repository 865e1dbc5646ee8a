#!/usr/bin/env bash
# Third-party check of the server's checkpoints: a Python client enrolls,
# uploads, keeps the signed checkpoint and verifies the exported log against it;
# a log cut short and a rewritten one are each refused.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/with_reference_server.sh" bash -c \
  'python3 "'"$here"'/checkpoint_recipe.py" "$BASE_URL" "$ADMIN_TOKEN" "$WORKDIR"'
