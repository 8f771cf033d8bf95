#!/usr/bin/env bash
# runs/m/ppo.sh NAME RM_ADAPTER key=value ... : PPO --demo from the demo's SFT adapter with that reward model
set -u
cd "$(dirname "$0")/../.."
name=$1; rm=$2; shift 2
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
start=$(date +%s)
nice ./align4j ppo --demo --demo-dir runs/demo --config recipes/ppo_incident.yaml reward_model=$rm "$@" > runs/m/ppo_$name.out 2> runs/m/ppo_$name.err
rc=$?
echo "ppo_$name rc=$rc wall=$(( $(date +%s)-start ))s rm=$rm args=$*" >> runs/m/ppo_summary.txt
sed -n '/^== PPO/,$p' runs/m/ppo_$name.out >> runs/m/ppo_summary.txt
