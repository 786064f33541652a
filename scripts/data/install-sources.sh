#!/usr/bin/env bash
# Debian packages that `npm run make-data` reads its sources from. The tests never need them: they use the committed
# files in public/data/.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends dataset-fashion-mnist python3-sklearn >/dev/null
ls /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
