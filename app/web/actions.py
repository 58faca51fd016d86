"""``POST <object>?action=<name>``: the guide's actions, one dispatcher.

Each object path declares its actions with their input and output schemas,
success status and the errors they add (``refuses``); the dispatcher matches
the name ignoring case, ``-`` and ``_`` (``get-Progress``, ``getProgress``),
parses the body with the action's schema (``400`` naming the fields) and
answers with its schema. An unknown or missing action is ``400`` listing the
object's actions.

The OpenAPI document is built from the same declarations with flask-smorest's
decorators: the ``action`` query parameter (an enum of the names, each
described), the body as ``anyOf`` named schemas, one per action's body
(``VolumeCloneBody``, titled "Body of action=clone", ``x-action: clone``),
each success status with the named answers of the actions that give it
(empty answers without content), and the actions' error statuses. ``anyOf``,
not ``oneOf``: the action, not the body, picks which applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import marshmallow as ma
from flask import request
from marshmallow import fields

from mockarray.errors import Invalid
from mockarray.naming import normalize_action
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.openapi import COMPONENT_SCHEMAS
from mockarray.web.responses import no_content


@dataclass(frozen=True)
class Action:
    name: str
    handler: Callable
    body: type[ma.Schema] | None
    response: type[ma.Schema] | None
    status: int
    summary: str
    refuses: tuple[int, ...] = ()


def _answer(action: Action) -> str:
    if action.response is None:
        return "no body"
    return action.response.__name__.removesuffix("Schema")


class ActionName(fields.String):
    """The ``action`` query parameter: one of an object's actions, deserialized to
    it. Unknown or missing, it is the object's ``400`` listing its actions (not a
    field error of its own)."""

    def __init__(self, actions: Actions):
        self.actions = actions
        listed = "\n".join(
            f"- `{action.name}`: {action.summary}" for action in actions.actions.values()
        )
        super().__init__(
            required=True,
            metadata={
                "enum": actions.names(),
                "description": "The action; matched ignoring case, '-' and '_'.\n\n" + listed,
                # Per-value descriptions, as ReDoc and several generators read them.
                "x-enumDescriptions": {
                    action.name: action.summary for action in actions.actions.values()
                },
            },
        )

    def deserialize(self, value, attr=None, data=None, **kwargs) -> Action:
        return self.actions.find(None if value is ma.missing else value)


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
        refuses: tuple[int, ...] = (),
    ):
        """Declare an action. The handler gets the path's arguments, and ``body``
        (the parsed body) when the action takes one. ``refuses``: error statuses
        it answers beyond its API's usual ones (``507``)."""

        def register(handler: Callable) -> Callable:
            summary = (handler.__doc__ or name).strip().splitlines()[0]
            self.actions[normalize_action(name)] = Action(
                name, handler, body, response, status, summary, tuple(refuses)
            )
            return handler

        return register

    def names(self) -> list[str]:
        return [action.name for action in self.actions.values()]

    def known_name(self, name: str | None) -> str | None:
        """The declared name of the action ``name`` spells (``clone`` for ``CLONE``),
        or None: a bounded label for metrics, whatever a client sends."""
        action = self.actions.get(normalize_action(name or ""))
        return action.name if action is not None else None

    def find(self, name: str | None) -> Action:
        action = self.actions.get(normalize_action(name or ""))
        if action is None:
            said = f"Unknown action '{name}'" if name else "The action parameter is missing"
            raise Invalid(
                f"{said}. A {self.subject} has these actions: {', '.join(self.names())} "
                f"(POST …?action=<name>).",
                fields={"action": [f"Expected one of: {', '.join(self.names())}."]},
            )
        return action

    def dispatch(self, action: Action, **view_args):
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

    # -- the OpenAPI document -------------------------------------------------------------

    def _summary(self) -> str:
        return f"Run an action on a {self.subject}: {', '.join(self.names())}"

    def _description(self) -> str:
        def line(action: Action) -> str:
            body = f" Body: `{self._body_name(action)}`." if action.body else " No body."
            answer = f" Answers `{_answer(action)}`." if action.response else " Answers no body."
            return f"- `{action.name}` ({action.status}): {action.summary}{body}{answer}"

        return (
            f"The `action` query parameter names what to do with the {self.subject} "
            "(matched ignoring case, `-` and `_`); it alone decides which body the call "
            "reads and which answer it gives. An unknown or missing action is `400`, "
            "listing the actions.\n\n" + "\n".join(line(action) for action in self.actions.values())
        )

    def _pascal(self, action: Action) -> str:
        subject = "".join(word.capitalize() for word in self.subject.split())
        words = action.name.replace("_", "-").split("-")
        return subject + "".join(word[:1].upper() + word[1:] for word in words)

    def _body_name(self, action: Action) -> str:
        return f"{self._pascal(action)}Body"

    def _answer_name(self, action: Action) -> str:
        return f"{self._pascal(action)}Answer"

    def _component_schemas(self) -> dict[str, dict]:
        """One named schema per action's body and answer, titled with the action, so
        that a reader and a code generator see which goes with which (``x-action``)."""

        def named(action: Action, what: str, description: str, schema) -> dict:
            return {
                "title": f"{what} of action={action.name}",
                "description": description,
                "x-action": action.name,
                "allOf": [schema],
            }

        schemas = {}
        for action in self.actions.values():
            if action.body is not None:
                schemas[self._body_name(action)] = named(
                    action,
                    "Body",
                    f"The body of POST …?action={action.name}: {action.summary}",
                    action.body,
                )
            if action.response is not None:
                schemas[self._answer_name(action)] = named(
                    action,
                    "Answer",
                    f"What POST …?action={action.name} answers ({action.status}).",
                    action.response,
                )
        return schemas

    @staticmethod
    def _ref(name: str) -> dict:
        return {"$ref": f"#/components/schemas/{name}"}

    def _request_body(self) -> dict | None:
        with_body = [action for action in self.actions.values() if action.body is not None]
        if not with_body:
            return None
        # anyOf, not oneOf: nothing in a body names its action (so no discriminator either),
        # and bodies overlap ({} fits several), so "exactly one" would be false.
        return {
            "required": False,
            "description": "The body of the action the `action` parameter names: one of "
            + ", ".join(f"`{self._body_name(a)}` (action={a.name})" for a in with_body)
            + ". Actions without a body read none.",
            "content": {
                "application/json": {
                    "schema": {"anyOf": [self._ref(self._body_name(a)) for a in with_body]}
                }
            },
        }

    def _documented_answers(self, view: Callable) -> Callable:
        by_status: dict[int, list[Action]] = {}
        for action in self.actions.values():
            by_status.setdefault(action.status, []).append(action)
        for status, actions in sorted(by_status.items(), reverse=True):
            description = "; ".join(f"{a.name}: {_answer(a)}" for a in actions)
            answering = [a for a in actions if a.response is not None]
            if not answering:
                schema = None
            elif len(actions) == 1:
                schema = answering[0].response
            else:
                schema = {"anyOf": [self._ref(self._answer_name(a)) for a in answering]}
            view = self.blp.alt_response(
                status, schema=schema, description=description, success=True
            )(view)
        return view

    def register(self) -> None:
        """Add the POST route; call once every action is declared."""
        query = ma.Schema.from_dict(
            {"action": ActionName(self)}, name=f"{self.subject.title().replace(' ', '')}Action"
        )

        def act(query: dict, **view_args):
            return self.dispatch(query["action"], **view_args)

        act.__name__ = f"run_{self.subject.lower().replace(' ', '_')}_action"
        # Kept by the decorators below: what serves a request can be asked its actions.
        act._mockarray_actions = self  # type: ignore[attr-defined]
        setattr(act, COMPONENT_SCHEMAS, self._component_schemas())
        act.__doc__ = f"{self._summary()}\n\n{self._description()}"
        view = self.blp.arguments(query, location="query")(act)
        view = self._documented_answers(view)
        refused = sorted({status for action in self.actions.values() for status in action.refuses})
        view = self.blp.refuses(*refused)(view)
        body = self._request_body()
        if body is not None:
            view = self.blp.doc(requestBody=body)(view)
        self.blp.route(self.rule, methods=["POST"])(view)
