def pytest_collection_modifyitems(config, items):
    """The full fuzz budget (marker ``fuzz``) runs only when the marker expression asks for it."""
    if "fuzz" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("fuzz") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
