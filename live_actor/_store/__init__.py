"""Session stores: what a new process needs to continue a session (``live_actor.stores``)."""
