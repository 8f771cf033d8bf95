#!/usr/bin/env bash
# runs/m/rm.sh NAME key=value ... : train an RM on the demo's pt model, then eval-rm on the 600 held-out pairs
set -u
cd "$(dirname "$0")/../.."
name=$1; shift
out=runs/m/$name
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
start=$(date +%s)
nice ./align4j rm --config recipes/demo_rm.yaml model_name_or_path=runs/demo/pt/model \
  dataset=runs/demo/data/pairs_train.jsonl eval_dataset=runs/demo/data/pairs_val.jsonl save_steps=0 \
  output_dir=$out "$@" > runs/m/$name.rm.log 2>&1
rc=$?
t1=$(date +%s)
nice ./align4j eval-rm --model runs/demo/pt/model --adapter $out/adapter --data runs/m/pairs/data/pairs_val.jsonl --group-by kind > runs/m/$name.eval.json 2> runs/m/$name.eval.err
echo "$name rc=$rc rm_wall=$((t1-start))s args=$*" >> runs/m/summary.txt
python3 -c "
import json,sys
d=json.load(open('runs/m/$name.eval.json'))
g=d['groups']
print('$name', 'all %.3f'%d['accuracy'], ' '.join('%s %.3f'%(k,v['accuracy']) for k,v in g.items()))
" >> runs/m/summary.txt
