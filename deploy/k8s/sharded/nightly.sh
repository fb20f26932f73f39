#!/usr/bin/env bash
# The sharded night on Kubernetes (deploy/README.md, "Sharded nights"). For every
# dataset × profile, one chain of Jobs, each created with kubectl and waited for:
#
#   prepare (fetch, crop, graph) → matrix (Indexed Job, N shards) → merge
#     → warm (Indexed Job, N shards) → publish (moves the pointer)
#
# Chains of different datasets and profiles run at the same time; the steps of one
# chain run in order, and a failed step stops its chain (the others go on).
#
#   nightly.sh render DATASET PROFILE SHARDS RUN_ID   # print one chain's Jobs as YAML
#   nightly.sh plan                                   # the chains `run` would start
#   nightly.sh run                                    # the night: what the CronJob runs
#
# `run` reads: HEXMATRIX_OUTPUTS (s3://bucket/prefix, required), DATASETS (default:
# every datasets/*.toml), PROFILES (default "car motorcycle"), SHARDS (default 4),
# IMAGE (default hexmatrix:0.1.0), STEP_TIMEOUT (default 6h).
set -euo pipefail
cd "$(dirname "$0")/../../.." 2>/dev/null || true

IMAGE=${IMAGE:-hexmatrix:0.1.0}

# pod_spec STEP INDEXED MEMORY_REQUEST MEMORY_LIMIT COMMAND: the pod template of one step.
pod_spec() {
  local step=$1 memory=$2 limit=$3 command
  # One line: the command is a YAML folded scalar.
  command=$(tr -s ' \n' '  ' <<<"$4")
  cat <<YAML
    metadata:
      labels:
        app.kubernetes.io/name: hexmatrix
        hexmatrix/step: $step
    spec:
      restartPolicy: Never
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
      containers:
        - name: hexmatrix
          image: $IMAGE
          workingDir: /srv/hexmatrix
          command: ["sh", "-c"]
          args:
            - >-
              $command
          envFrom:
            # AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION (and AWS_ENDPOINT_URL,
            # AWS_ALLOW_HTTP for an S3-compatible server); or GOOGLE_* / AZURE_*.
            - secretRef:
                name: hexmatrix-objstore
          env:
            - name: HEXMATRIX_CACHE_DIR
              value: /cache
            - name: REDIS_CLUSTER
              valueFrom:
                secretKeyRef:
                  name: hexmatrix-redis
                  key: cluster
          resources:
            requests:
              cpu: "2"
              memory: $memory
              ephemeral-storage: 8Gi
            limits:
              memory: $limit
              ephemeral-storage: 16Gi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: cache
              mountPath: /cache
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: cache
          emptyDir: {}
        - name: tmp
          emptyDir: {}
YAML
}

# job NAME STEP SHARDS MEMORY LIMIT COMMAND: one Job; SHARDS > 0 makes it an Indexed
# Job whose pods get JOB_COMPLETION_INDEX (0-based), each index retried on its own.
job() {
  local name=$1 step=$2 shards=$3 memory=$4 limit=$5 command=$6
  cat <<YAML
---
apiVersion: batch/v1
kind: Job
metadata:
  name: $name
  labels:
    app.kubernetes.io/name: hexmatrix
    hexmatrix/step: $step
spec:
  activeDeadlineSeconds: 21600
  ttlSecondsAfterFinished: 172800
YAML
  if [ "$shards" -gt 0 ]; then
    cat <<YAML
  completionMode: Indexed
  completions: $shards
  parallelism: $shards
  # A failed shard is retried alone (same index), twice; one index out of retries
  # fails the Job, and the chain stops before merge or publish.
  backoffLimitPerIndex: 2
  maxFailedIndexes: 0
  podFailurePolicy:
    rules:
      # Bad input (exit 2) fails the same way on every retry.
      - action: FailIndex
        onExitCodes:
          containerName: hexmatrix
          operator: In
          values: [2]
YAML
  else
    cat <<YAML
  backoffLimit: 2
  podFailurePolicy:
    rules:
      - action: FailJob
        onExitCodes:
          containerName: hexmatrix
          operator: In
          values: [2]
YAML
  fi
  echo "  template:"
  pod_spec "$step" "$memory" "$limit" "$command"
}

# render DATASET PROFILE SHARDS RUN_ID: the five Jobs of one chain, in order.
render() {
  local dataset=$1 profile=$2 shards=$3 run=$4
  local outputs=${HEXMATRIX_OUTPUTS:-s3://hexmatrix-outputs/nightly}
  local base="$outputs/$dataset/$profile/$run"
  local name="hm-$run-$dataset-$profile"
  local ds="datasets/$dataset.toml"
  local pointer="route:$dataset:$profile:current"
  # Memory from measured peak RSS (deploy/README.md): crop ≤ 95 MiB, graph of a
  # 31 MB region 433 MiB, matrix of whole Malta 73 MiB, warm and report ≤ 272 MiB;
  # requests cover a city the size of Ho Chi Minh City with margin.
  job "$name-prepare" prepare 0 1Gi 3Gi \
    "hexmatrix fetch $ds --output /cache/region.osm.pbf --log-format json &&
     hexmatrix crop --dataset $ds --input /cache/region.osm.pbf --output $base/city.osm.pbf --log-format json &&
     hexmatrix graph --input $base/city.osm.pbf --profile $profile --output $base/graph --log-format json"
  job "$name-matrix" matrix "$shards" 1Gi 2Gi \
    "exec hexmatrix matrix --shard \$JOB_COMPLETION_INDEX/$shards --graph $base/graph --dataset $ds --output $base/matrix --log-format json"
  job "$name-merge" merge 0 256Mi 1Gi \
    "exec hexmatrix matrix --merge-shards $shards --graph $base/graph --dataset $ds --output $base/matrix --log-format json"
  job "$name-warm" warm "$shards" 512Mi 2Gi \
    "exec hexmatrix warm --shard \$JOB_COMPLETION_INDEX/$shards --matrix $base/matrix --cluster \$REDIS_CLUSTER --layout rows --key-template cluster --pointer-key $pointer --log-format json"
  job "$name-publish" publish 0 256Mi 1Gi \
    "exec hexmatrix warm --publish --matrix $base/matrix --cluster \$REDIS_CLUSTER --layout rows --key-template cluster --pointer-key $pointer --log-format json"
}

# chain DATASET PROFILE SHARDS RUN_ID: create each Job, wait for it, stop at a failure.
chain() {
  local dataset=$1 profile=$2 shards=$3 run=$4 step
  for step in prepare matrix merge warm publish; do
    local name="hm-$run-$dataset-$profile-$step"
    render_one "$dataset" "$profile" "$shards" "$run" "$step" | kubectl apply -f -
    # Complete or Failed, whichever comes first.
    kubectl wait "job/$name" --for=condition=Complete --timeout="${STEP_TIMEOUT:-6h}" >/dev/null 2>&1 &
    local complete=$!
    kubectl wait "job/$name" --for=condition=Failed --timeout="${STEP_TIMEOUT:-6h}" >/dev/null 2>&1 &
    local failed=$!
    wait -n "$complete" "$failed" || true
    kill "$complete" "$failed" 2>/dev/null || true
    if [ "$(kubectl get "job/$name" -o jsonpath='{.status.conditions[?(@.type=="Complete")].status}')" != True ]; then
      echo "nightly: $dataset/$profile: step $step failed (kubectl logs job/$name); chain stopped" >&2
      return 1
    fi
    echo "nightly: $dataset/$profile: step $step done" >&2
  done
}

# render_one DATASET PROFILE SHARDS RUN_ID STEP: the one Job of STEP from render.
render_one() {
  render "$1" "$2" "$3" "$4" | awk -v want="hm-$4-$1-$2-$5" '
    /^---$/ { if (keep) printf "%s", block; block = ""; keep = 0; named = 0 }
    { block = block $0 "\n" }
    /^  name: / && !named { named = 1; if ($2 == want) keep = 1 }
    END { if (keep) printf "%s", block }'
}

# The datasets of the night: $DATASETS, else every datasets/*.toml.
datasets() {
  if [ -n "${DATASETS:-}" ]; then echo "$DATASETS"; return; fi
  for f in datasets/*.toml; do basename "$f" .toml; done
}

case "${1:-}" in
  render)
    [ $# -eq 5 ] || { echo "usage: $0 render DATASET PROFILE SHARDS RUN_ID" >&2; exit 2; }
    render "$2" "$3" "$4" "$5" ;;
  plan)
    # The chains `run` would start, one "DATASET PROFILE" a line.
    for dataset in $(datasets); do
      for profile in ${PROFILES:-car motorcycle}; do echo "$dataset $profile"; done
    done ;;
  run)
    : "${HEXMATRIX_OUTPUTS:?set HEXMATRIX_OUTPUTS to the bucket URL (s3://bucket/prefix)}"
    run=$(date -u +%Y%m%d)
    pids=()
    for dataset in $(datasets); do
      for profile in ${PROFILES:-car motorcycle}; do
        chain "$dataset" "$profile" "${SHARDS:-4}" "$run" & pids+=($!)
      done
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
    echo "nightly: ${#pids[@]} chains, $failed failed" >&2
    [ "$failed" -eq 0 ] ;;
  *)
    echo "usage: $0 render DATASET PROFILE SHARDS RUN_ID | $0 plan | $0 run" >&2
    exit 2 ;;
esac
