"""Model families, one module each; every module registers its builders with `zoo.registry`."""
