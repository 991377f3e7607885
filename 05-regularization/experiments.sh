#!/usr/bin/env bash
# The README's three experiments: every run is build/05-regularization/train with the flags below.
#
#   05-regularization/experiments.sh dropout      a wide MLP with and without dropout (about 6 minutes)
#   05-regularization/experiments.sh batch-norm   VGG-style with and without BN at five learning rates (about 12)
#   05-regularization/experiments.sh depth        plain CNNs against ResNets of 20 and 56 layers (about 30)
#   05-regularization/experiments.sh all          the three, one after the other
#   05-regularization/experiments.sh figures      only redraw the three figures from the CSVs
#
# Needs build/ built (`./dlfs setup`, then `ninja -C build`); runs from any directory. Each run writes
# runs/05-regularization/experiments/<experiment>/<run>/ (its metrics.csv, curves.svg and log);
# the metrics.csv is copied to 05-regularization/figures/<experiment>/<run>.csv, and the
# experiment's figure, 05-regularization/figures/<experiment>.svg, is drawn from those copies
# with common's plot_csv (so a figure can be redrawn, or restyled, without training again).
# Every run trains on the first 10,000 training images (--limit): the effects show sooner on a
# small training set, and the three experiments fit in under an hour on two cores.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

TRAIN=build/05-regularization/train
PLOT=build/common/plot_csv
FIGURES=05-regularization/figures
RUNS=runs/05-regularization/experiments
for program in "$TRAIN" "$PLOT"; do
  [[ -x $program ]] || { echo "experiments.sh: $program is not built (run ./dlfs setup, then ninja -C build)" >&2; exit 1; }
done

# run EXPERIMENT NAME FLAGS...: one training run. A run that diverges stops with an error (chapter
# 02's guard against non-finite losses) and keeps the epochs it finished: that is a result here.
run() {
  local experiment=$1 name=$2
  shift 2
  local dir=$RUNS/$experiment/$name
  mkdir -p "$dir" "$FIGURES/$experiment"
  echo "== $experiment/$name: $TRAIN $*"
  if "$TRAIN" --limit 10000 --out "$dir" "$@" >"$dir/log" 2>&1; then
    tail -n 1 "$dir/log"
  else
    echo "   stopped: $(tail -n 1 "$dir/log")"
  fi
  cp "$dir/metrics.csv" "$FIGURES/$experiment/$name.csv"
}

# 1. Dropout. 1.86M weights for 10,000 images: without dropout the MLP memorizes them. Weight decay
# off, so that dropout is the only regularizer. --eval-train measures the training images as the
# test images are measured (dropout off), so the gap compares like with like.
dropout() {
  for p in 0 0.2 0.5; do
    run dropout "p$p" --model mlp --dropout "$p" --weight-decay 0 --epochs 60 --eval-train
  done
  draw_dropout
}

draw_dropout() {
  local csv=$FIGURES/dropout
  "$PLOT" p0="$csv/p0.csv" p0.2="$csv/p0.2.csv" p0.5="$csv/p0.5.csv" --out "$FIGURES/dropout.svg" \
    --panel "Accuracy, training images and test images;accuracy;p0:train_eval_accuracy=no dropout (train),p0:test_accuracy=no dropout (test),p0.5:train_eval_accuracy=dropout 0.5 (train),p0.5:test_accuracy=dropout 0.5 (test)" \
    --panel "Test loss;cross-entropy;p0:test_loss=no dropout (test),p0.2:test_loss=dropout 0.2 (test),p0.5:test_loss=dropout 0.5 (test)"
}

# 2. Batch norm. The same VGG-style network with and without BN, SGD with momentum at a constant
# learning rate (no schedule to rescue a rate that is too high), eight epochs. A run that diverges
# in its first epoch leaves an empty CSV, and no line. The figure has a panel per rate up to 0.3:
# at 1 both networks diverged in the first epoch (the README's table).
LEARNING_RATES=(0.01 0.03 0.1 0.3 1)
batch_norm() {
  for lr in "${LEARNING_RATES[@]}"; do
    run batch-norm "bn_lr$lr" --model vgg --lr "$lr" --schedule constant --epochs 8
    run batch-norm "nobn_lr$lr" --model vgg --no-batch-norm --lr "$lr" --schedule constant --epochs 8
  done
  draw_batch_norm
}

draw_batch_norm() {
  local csv=$FIGURES/batch-norm args=() panels=()
  for lr in "${LEARNING_RATES[@]:0:4}"; do
    args+=("bn$lr=$csv/bn_lr$lr.csv" "nobn$lr=$csv/nobn_lr$lr.csv")
    panels+=(--panel "lr $lr;training loss;bn$lr:train_loss=with batch norm,nobn$lr:train_loss=without batch norm")
  done
  "$PLOT" "${args[@]}" --out "$FIGURES/batch-norm.svg" "${panels[@]}"
}

# 3. Depth. He et al.'s plain networks against their ResNets of the same depth, 6n + 2 layers for
# n = 3 (20) and n = 9 (56): the same layers, the ResNet adds "+ x" around every pair of convolutions.
depth() {
  for n in 3 9; do
    local layers=$((6 * n + 2))
    run depth "plain$layers" --model plain --blocks "$n" --epochs 6 --label-smoothing 0
    run depth "resnet$layers" --model resnet --blocks "$n" --epochs 6 --label-smoothing 0
  done
  draw_depth
}

draw_depth() {
  local csv=$FIGURES/depth
  "$PLOT" p20="$csv/plain20.csv" p56="$csv/plain56.csv" r20="$csv/resnet20.csv" r56="$csv/resnet56.csv" \
    --out "$FIGURES/depth.svg" \
    --panel "Training loss;cross-entropy (mean over the epoch);p20:train_loss=plain-20,p56:train_loss=plain-56,r56:train_loss=ResNet-56,r20:train_loss=ResNet-20" \
    --panel "Test accuracy;accuracy;p20:test_accuracy=plain-20,p56:test_accuracy=plain-56,r56:test_accuracy=ResNet-56,r20:test_accuracy=ResNet-20"
}

case "${1:-}" in
  dropout) dropout ;;
  batch-norm) batch_norm ;;
  depth) depth ;;
  all) dropout; batch_norm; depth ;;
  figures) draw_dropout; draw_batch_norm; draw_depth ;;
  *) echo "usage: 05-regularization/experiments.sh dropout|batch-norm|depth|all|figures" >&2; exit 1 ;;
esac
