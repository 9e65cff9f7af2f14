"""A realistic legacy tree, as the old projects left it: copied training scripts (exact, reformatted,
edited and renamed copies), a sync script copied under another name, deployment, analysis, test, build
and utility scripts in four languages, and files the audit has to skip (binary, Latin-1)."""

from __future__ import annotations

from pathlib import Path

TRAIN = '''\
"""Train the speaker segmentation model on the labelled meetings."""
import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader

from dataset import MeetingChunks


def build_model(num_speakers, hidden_size):
    return nn.Sequential(
        nn.Conv1d(1, hidden_size, kernel_size=251, stride=160),
        nn.ReLU(),
        nn.Conv1d(hidden_size, hidden_size, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv1d(hidden_size, num_speakers, kernel_size=1),
        nn.Sigmoid(),
    )


def train(data_dir, num_epochs, learning_rate, batch_size):
    dataset = MeetingChunks(data_dir, window_seconds=5.0)
    train_loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=2)
    model = build_model(num_speakers=3, hidden_size=64)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loss_function = nn.BCELoss()
    for epoch in range(num_epochs):
        total_loss = 0.0
        for waveform, labels in train_loader:
            optimizer.zero_grad()
            activity = model(waveform.unsqueeze(1))
            loss = loss_function(activity, labels)
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        print(f"epoch {epoch}: loss {total_loss / len(train_loader):.4f}")
    torch.save(model.state_dict(), "segmentation.pt")
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    train(args.data_dir, args.epochs, args.lr, args.batch_size)
'''

# Same code, different layout and comments: what an editor's reformat plus a few notes produce.
TRAIN_REFORMATTED = (
    TRAIN.replace(
        '"""Train the speaker segmentation model on the labelled meetings."""\n',
        "# backup before the refactor\n",
    )
    .replace(
        "    return nn.Sequential(\n",
        "    # three conv layers, sigmoid per speaker\n    return nn.Sequential(\n",
    )
    .replace("loss.backward()", "loss.backward()   # gradients")
    .replace(
        "    for epoch in range(num_epochs):\n", "\n\n    for epoch in range(num_epochs):  # main loop\n"
    )
    .replace("\n", "\r\n")
)
# But the docstring was a string, not a comment; keep the code identical by putting it back.
TRAIN_REFORMATTED = (
    '"""Train the speaker segmentation model on the labelled meetings."""\r\n' + TRAIN_REFORMATTED
)

# Someone's edited copy: new defaults, gradient clipping and a checkpoint name.
TRAIN_EDITED = (
    TRAIN.replace("default=20", "default=50")
    .replace("hidden_size=64", "hidden_size=128")
    .replace(
        "            loss.backward()\n",
        "            loss.backward()\n            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n",
    )
    .replace('"segmentation.pt"', '"segmentation_v2.pt"')
)

# A copy whose author renamed every variable and function; the structure is untouched.
TRAIN_RENAMED = TRAIN
for old, new in [
    ("build_model", "make_net"), ("num_speakers", "n_spk"), ("hidden_size", "width"),
    ("train_loader", "batches"), ("learning_rate", "step_size"), ("num_epochs", "n_rounds"),
    ("data_dir", "root"), ("batch_size", "bs"),
    ("dataset", "chunks"), ("model", "net"), ("optimizer", "opt"), ("loss_function", "criterion"),
    ("total_loss", "running"), ("waveform", "audio"), ("labels", "target"), ("activity", "probs"),
    ("epoch", "round_index"), ("train(", "fit_speakers("), ("args", "options"), ("parser", "cli"),
]:  # fmt: skip
    TRAIN_RENAMED = TRAIN_RENAMED.replace(old, new)

SYNC_JS = """\
// Pull the whole catalog from the DMM API into Postgres, page by page.
const axios = require('axios');
const { Pool } = require('pg');

const API = 'https://api.dmm.com/affiliate/v3/ItemList';
const pool = new Pool({ connectionString: process.env.DATABASE_URL });

async function fetchPage(offset) {
  const response = await axios.get(API, {
    params: { api_id: process.env.API_ID, affiliate_id: process.env.AFFILIATE_ID, hits: 100, offset },
  });
  return response.data.result.items;
}

async function main() {
  for (let offset = 1; ; offset += 100) {
    const items = await fetchPage(offset);
    if (items.length === 0) break;
    for (const item of items) {
      await pool.query(
        'INSERT INTO items (content_id, title) VALUES ($1, $2) '
          + 'ON CONFLICT (content_id) DO UPDATE SET title = $2',
        [item.content_id, item.title],
      );
    }
    console.log(`synced ${offset + items.length - 1} items`);
  }
  await pool.end();
}

main();
"""

FETCH_TS = """\
import fetch from 'node-fetch';
import { writeFileSync } from 'fs';

interface Genre { genre_id: number; name: string }

export async function downloadGenres(floorId: string, apiKey: string): Promise<Genre[]> {
  const url = `https://api.dmm.com/affiliate/v3/GenreSearch?floor_id=${floorId}&api_id=${apiKey}&hits=500`;
  const response = await fetch(url);
  const body = (await response.json()) as { result: { genre: Genre[] } };
  writeFileSync(`genres-${floorId}.json`, JSON.stringify(body.result.genre));
  return body.result.genre;
}
"""

DEPLOY_SH = """\
#!/usr/bin/env bash
# Ship the serving image and roll it out.
set -euo pipefail
TAG="$(git rev-parse --short HEAD)"
docker build -t registry.example.com/serving:"$TAG" .
docker push registry.example.com/serving:"$TAG"
kubectl set image deployment/serving serving=registry.example.com/serving:"$TAG"
kubectl rollout status deployment/serving
"""

SERVE_PY = """\
import numpy as np
import onnxruntime as ort
import uvicorn
from fastapi import FastAPI, UploadFile

app = FastAPI()
session = ort.InferenceSession("segmentation.onnx")


@app.post("/diarize")
async def diarize(file: UploadFile):
    audio = np.frombuffer(await file.read(), dtype=np.float32)
    (activity,) = session.run(None, {"waveform": audio[None, :]})
    return {"frames": activity.shape[1]}


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=8000)
"""

ANALYSIS_PY = """\
import matplotlib.pyplot as plt
import pandas as pd

items = pd.read_csv("items.csv", parse_dates=["release_date"])
by_genre = items.groupby("genre")["review_average"].describe()
print(by_genre.sort_values("count", ascending=False).head(20))
items["release_date"].dt.year.value_counts().sort_index().plot(kind="bar")
plt.savefig("releases_per_year.png")
"""

TEST_PY = """\
import numpy as np
import pytest

from train_diarization import build_model


@pytest.mark.parametrize("num_speakers", [2, 3])
def test_model_outputs_one_probability_per_speaker(num_speakers):
    model = build_model(num_speakers=num_speakers, hidden_size=8)
    activity = model(np.zeros((1, 1, 16000), dtype=np.float32))
    assert activity.shape[1] == num_speakers
    assert float(activity.min()) >= 0.0
"""

BUILD_SH = """\
#!/bin/sh
# Build the admin frontend bundle.
set -e
cd frontend
npm ci
npx tsc --noEmit
npm run build
"""

CLEANUP_SH = """\
#!/bin/sh
# Remove stale temporary checkpoints older than a week.
find /tmp/checkpoints -name '*.pt' -mtime +7 -print
find /tmp/checkpoints -name '*.pt' -mtime +7 -exec rm -f {} +
"""

HELLO_MJS = "console.log('hello');\n"

LATIN1 = "# Résumé des données\nprint('café')\n".encode("latin-1")
BINARY = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4

FILES: dict[str, str | bytes] = {
    "ml/train_diarization.py": TRAIN,
    "ml/old/train_diarization.py": TRAIN,
    "ml/train_diarization_backup.py": TRAIN_REFORMATTED.encode("utf-8"),
    "experiments/train_diarization_v2.py": TRAIN_EDITED,
    "experiments/fit_speakers.py": TRAIN_RENAMED,
    "sync/sync_catalog.js": SYNC_JS,
    "scripts/catalog_sync_copy.js": SYNC_JS,
    "sync/fetch_genres.ts": FETCH_TS,
    "deploy/deploy_serving.sh": DEPLOY_SH,
    "deploy/serve.py": SERVE_PY,
    "analysis/analyze_releases.py": ANALYSIS_PY,
    "tests/test_model.py": TEST_PY,
    "frontend/build_frontend.sh": BUILD_SH,
    "utils/cleanup_checkpoints.sh": CLEANUP_SH,
    "misc/hello.mjs": HELLO_MJS,
    "broken/latin1_notes.py": LATIN1,
    "broken/compiled.py": BINARY,
    "node_modules/left-pad/index.js": "module.exports = (s) => s;\n",
    "README.txt": "not a script\n",
}

EXPECTED_PURPOSE = {
    "ml/train_diarization.py": "ml-training",
    "experiments/fit_speakers.py": "ml-training",
    "sync/sync_catalog.js": "data-sync",
    "sync/fetch_genres.ts": "data-sync",
    "deploy/deploy_serving.sh": "ml-deployment",
    "deploy/serve.py": "ml-deployment",
    "analysis/analyze_releases.py": "data-analysis",
    "tests/test_model.py": "ml-testing",
    "frontend/build_frontend.sh": "build",
    "utils/cleanup_checkpoints.sh": "utility",
    "misc/hello.mjs": "unknown",
}


def write_legacy_tree(root: Path) -> Path:
    for relative, content in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
