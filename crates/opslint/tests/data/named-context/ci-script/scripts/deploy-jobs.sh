#!/usr/bin/env bash
set -euo pipefail
helm upgrade --install --atomic --wait etl-jobs charts/etl-jobs -f "values-$1.yaml"
