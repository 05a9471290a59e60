"""The baseline a user would pick instead of mlplane's predict: a Keras model behind FastAPI/uvicorn.

One process, the same 30-10-1 shape as the mlplane benchmark's model, trained briefly on the same
CSV, numpy standardisation, JSON instances by feature name, predict_on_batch, no prediction log.
Usage: python keras_fastapi.py <csv> <label column> <port>
Prints "listening <port>" once the server accepts requests.
"""
import csv
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI, HTTPException, Request  # noqa: E402


def load(path: str, label: str):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    header = [name.strip() for name in rows[0]]
    label_at = header.index(label)
    features = [name for i, name in enumerate(header) if i != label_at]
    x = np.array([[float(v) for i, v in enumerate(row) if i != label_at] for row in rows[1:] if row], dtype=np.float32)
    y = np.array([float(row[label_at]) for row in rows[1:] if row], dtype=np.float32)
    return features, x, y


def main() -> None:
    path, label, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    features, x, y = load(path, label)
    mean = x.mean(axis=0)
    std = np.where(x.std(axis=0) == 0, 1.0, x.std(axis=0)).astype(np.float32)
    model = keras.Sequential([keras.Input(shape=(len(features),)), keras.layers.Dense(10, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit((x - mean) / std, y, epochs=5, batch_size=32, verbose=0)
    app = FastAPI()

    @app.post("/predict")
    async def predict(request: Request):
        body = await request.json()
        instances = body.get("instances")
        if not isinstance(instances, list) or not instances:
            raise HTTPException(status_code=400, detail="instances must be a non-empty list")
        try:
            batch = np.array([[float(instance[name]) for name in features] for instance in instances], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as error:
            raise HTTPException(status_code=400, detail=f"bad instance: {error}") from error
        p = model.predict_on_batch((batch - mean) / std)[:, 0]
        return {"predictions": [{"label": "1" if q >= 0.5 else "0", "probabilities": {"0": float(1 - q), "1": float(q)}} for q in p]}

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    print(f"listening {port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
