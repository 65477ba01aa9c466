"""Project settings. See https://docs.kedro.org/en/stable/kedro_project_setup/settings.html."""

import warnings

from kedro.config import OmegaConfigLoader

from arxiv_pipeline.hooks import ArrowMemoryHooks, RunSummaryHooks, RuntimeParamsHooks

# Kedro 1.7 registers its config resolvers through an OmegaConf call that OmegaConf now
# deprecates. The warning is Kedro's to fix and would greet users on every run.
warnings.filterwarnings(
    "ignore", message=r"register_new_resolver\(\) is deprecated", category=UserWarning
)

# A mistyped --params name fails before anything runs; Arrow's freed memory goes back to
# the system after every node; every run ends with a summary of its results and the
# commands that open them.
HOOKS = (RuntimeParamsHooks(), ArrowMemoryHooks(), RunSummaryHooks())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # conf/local overrides single nested parameters (topic_tuning.n_trials) without
    # restating the whole block; the default merge would replace every top-level key
    # a local file names, and with it any `--params` given for that block.
    "merge_strategy": {"parameters": "soft"},
}
