"""The theme classifier, the social flags and event relevance (see engine.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from classify.engine import Classifier
    from settings import Config


def from_config(config: Config) -> Classifier:
    """The classifier an operator configured: taxonomy file and event from config.yaml."""
    from classify.engine import Classifier
    from classify.event import EventConfig
    from classify.taxonomy import load
    from classify.weights import load as load_weights

    event = None
    if config["event.name"].strip():
        event = EventConfig(
            name=config["event.name"],
            buyers=config["event.buyers"],
            host_buyers=config["event.host_buyers"],
            phrases=config["event.phrases"],
        )
    taxonomy = load(config.optional_path("classify.taxonomy"))
    weights = load_weights(config.optional_path("classify.weights"), taxonomy.fields, taxonomy.threshold)
    return Classifier(taxonomy, event, weights)
