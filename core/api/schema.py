"""drf-spectacular hooks: what the generated schema cannot infer from the views."""

PAGINATION_PARAMETERS = {"page", "page_size", "cursor"}


def document_list_errors(result, generator, request, public):
    """Every paginated list answers 404 "Invalid page." for ``?page=0``, a page past the end or a page
    that is not a number, and 400 (the error shape, per field) when one of its filters gets a value it
    does not accept or its keyset ``cursor`` was not issued by the server: declare them where a view did
    not already."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.get("responses", {})
            ok = responses.get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if not ok.get("$ref", "").startswith("#/components/schemas/Paginated"):
                continue
            query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            if query - PAGINATION_PARAMETERS or "cursor" in query:
                responses.setdefault("400", {**error, "description": "A filter value is not valid."})
            responses.setdefault("404", {**error, "description": "Invalid page."})
            operation["responses"] = dict(sorted(responses.items()))
    return result
