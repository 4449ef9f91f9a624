"""After training: use a run. `zoo.inference.runs` reads what a run folder (or a `.keras` file)
says about its inputs; `zoo.inference.predict` gives top-k labels for image files and folders.
Both are the Python twins of the `zoo predict` command (`zoo.predict`)."""
