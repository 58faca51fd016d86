"""``POST <object>?action=<name>``: the guide's actions, one dispatcher.

Each object path declares its actions with their input and output schemas
and success status; the dispatcher matches the name ignoring case, ``-`` and
``_`` (``get-Progress``, ``getProgress``), parses the body with the action's
schema (``400`` naming the fields) and answers with its schema. An unknown or
missing action is ``400`` listing the object's actions. The OpenAPI document
lists the actions as the ``action`` parameter's values, with a ``oneOf`` of
their bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import marshmallow as ma
from flask import request

from mockarray.errors import Invalid
from mockarray.naming import normalize_action
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.responses import no_content


@dataclass(frozen=True)
class Action:
    name: str
    handler: Callable
    body: type[ma.Schema] | None
    response: type[ma.Schema] | None
    status: int
    summary: str


class Actions:
    """The actions of one object path (``/server/<sid>/volume/<vid>``)."""

    def __init__(self, blp: ApiBlueprint, rule: str, subject: str):
        self.blp = blp
        self.rule = rule
        self.subject = subject
        self.actions: dict[str, Action] = {}

    def action(
        self,
        name: str,
        *,
        body: type[ma.Schema] | None = None,
        response: type[ma.Schema] | None = None,
        status: int = 200,
    ):
        """Declare an action. The handler gets the path's arguments, and ``body``
        (the parsed body) when the action takes one."""

        def register(handler: Callable) -> Callable:
            summary = (handler.__doc__ or name).strip().splitlines()[0]
            self.actions[normalize_action(name)] = Action(
                name, handler, body, response, status, summary
            )
            return handler

        return register

    def names(self) -> list[str]:
        return [action.name for action in self.actions.values()]

    def _find(self, name: str | None) -> Action:
        action = self.actions.get(normalize_action(name or ""))
        if action is None:
            said = f"Unknown action '{name}'" if name else "The action parameter is missing"
            raise Invalid(
                f"{said}. A {self.subject} has these actions: {', '.join(self.names())} "
                f"(POST …?action=<name>).",
                fields={"action": [f"Expected one of: {', '.join(self.names())}."]},
            )
        return action

    def dispatch(self, **view_args):
        action = self._find(request.args.get("action"))
        if action.body is not None:
            view_args["body"] = self.blp.ARGUMENTS_PARSER.parse(
                action.body(), request, location="json"
            )
        result = action.handler(**view_args)
        headers = {}
        if isinstance(result, tuple):
            result, headers = result
        if action.response is None:
            answer = no_content(action.status)
            answer.headers.update(headers)
            return answer
        return action.response().dump(result), action.status, headers

    def register(self) -> None:
        """Add the POST route; call once every action is declared."""
        bodies = list(dict.fromkeys(a.body for a in self.actions.values() if a.body is not None))
        responses: dict[str, dict] = {}
        for action in self.actions.values():
            entry = responses.setdefault(
                str(action.status), {"description": "", "content": {"application/json": {}}}
            )
            entry["description"] = " ".join(
                filter(None, [entry["description"], f"{action.name}: {action.summary}"])
            )
            if action.response is not None:
                schema = entry["content"]["application/json"].setdefault("schema", {"oneOf": []})
                if action.response not in schema["oneOf"]:
                    schema["oneOf"].append(action.response)
        for entry in responses.values():
            if not entry["content"]["application/json"]:
                del entry["content"]
        doc = {
            "summary": f"Actions on a {self.subject}: {', '.join(self.names())}",
            "description": "\n".join(f"- `{a.name}`: {a.summary}" for a in self.actions.values()),
            "parameters": [
                {
                    "in": "query",
                    "name": "action",
                    "required": True,
                    "description": "Matched ignoring case, '-' and '_'.",
                    "schema": {"type": "string", "enum": self.names()},
                }
            ],
            "responses": responses,
        }
        if bodies:
            doc["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": {"oneOf": bodies}}},
            }

        def act(**view_args):
            return self.dispatch(**view_args)

        act.__name__ = f"{self.subject.replace(' ', '_')}_action"
        act.__doc__ = doc["summary"]
        self.blp.route(self.rule, methods=["POST"])(self.blp.doc(**doc)(act))
