#!/bin/sh
# Stops ECS tasks the graceful way: hookd runs every preStop of the task (in parallel, within the
# grace period), then calls StopTask — so preStop runs before SIGTERM, as in Kubernetes.
# Use it wherever a script would call `aws ecs stop-task`.
#
#   HOOKD_URL=https://hookd.example.workers.dev HOOKD_TOKEN=… ./graceful-stop.sh CLUSTER TASK [REASON]
#   HOOKD_FUNCTION=<Lambda function name>        HOOKD_TOKEN=… ./graceful-stop.sh CLUSTER TASK [REASON]
#
# With HOOKD_FUNCTION the request goes through `aws lambda invoke` (IAM decides who may call it;
# the function needs HOOKD_TOKEN: deploy the Lambda stack with -c tokenSecret=…).
set -eu

if [ $# -lt 2 ]; then
  echo "usage: $0 CLUSTER TASK [REASON]" >&2
  exit 2
fi
: "${HOOKD_TOKEN:?set HOOKD_TOKEN}"
body=$(printf '{"cluster":"%s","task":"%s","reason":"%s"}' "$1" "$2" "${3:-graceful stop by $(id -un)}")

if [ -n "${HOOKD_URL:-}" ]; then
  exec curl -sS --fail-with-body -X POST "${HOOKD_URL%/}/v1/ecs/tasks/stop" \
    -H "authorization: Bearer $HOOKD_TOKEN" -H 'content-type: application/json' -d "$body"
fi

: "${HOOKD_FUNCTION:?set HOOKD_URL or HOOKD_FUNCTION}"
escaped=$(printf '%s' "$body" | sed 's/\\/\\\\/g; s/"/\\"/g')
payload=$(printf '{"version":"2.0","routeKey":"$default","rawPath":"/v1/ecs/tasks/stop","rawQueryString":"","isBase64Encoded":false,"headers":{"authorization":"Bearer %s","content-type":"application/json","host":"lambda"},"requestContext":{"http":{"method":"POST","path":"/v1/ecs/tasks/stop","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"graceful-stop.sh"},"domainName":"lambda","requestId":"graceful-stop","routeKey":"$default","stage":"$default","timeEpoch":0},"body":"%s"}' "$HOOKD_TOKEN" "$escaped")
answer=$(mktemp)
trap 'rm -f "$answer"' EXIT
aws lambda invoke --function-name "$HOOKD_FUNCTION" --cli-binary-format raw-in-base64-out \
  --cli-read-timeout 0 --payload "$payload" "$answer" >/dev/null
cat "$answer"
echo
# The function answers {statusCode, body}: fail like curl --fail-with-body on a status ≥ 400.
grep -q '"statusCode":[23]' "$answer"
