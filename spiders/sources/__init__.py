"""One small module per source; each spider subclasses a base spider of its access pattern."""
