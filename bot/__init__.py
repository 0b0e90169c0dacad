"""motcua's service side: catalogue and data layer, conversation engine, channels, CLI."""
