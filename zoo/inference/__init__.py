"""After training: use a run (a `zoo train` / `zoo finetune` folder, or a `.keras` file).

`runs` reads what a run's own files say of its inputs (class names, pixel range, input size,
vocabulary); `predict` (top-k labels for images, texts, .npy arrays), `evaluate` (per-class
metrics, confusion matrix, calibration), `explain` (Grad-CAM), `generate` (language models),
`sample` (VAE / GAN grids) and `export_run` (SavedModel, TFLite, ONNX with a parity check) are
the Python twins of the `zoo` commands of the same names (`zoo.predict`, `zoo.explain`, ...)."""
