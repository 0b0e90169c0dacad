"""Custom Rasa components: the Vietnamese normalising tokenizer and the entity extractors.

They are listed in ``config.yml``, so ``rasa train``, ``rasa test`` and the running assistant
all see text the same way. The rules themselves live in :mod:`nlu.normalize`,
:mod:`nlu.procedure_index`, :mod:`nlu.dossier_code`, :mod:`nlu.invite_code` and :mod:`nlu.ordinal`.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME as FALLBACK_INTENT
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.catalogue.procedures import EID_OWN
from nlu.aspect import ASPECTS, aspect
from nlu.corrections import is_correction
from nlu.counter_words import asks_for_counter
from nlu.dossier_code import find_codes
from nlu.invite_code import find_invite_codes, invite_intent
from nlu.listed import CatalogueResolver, catalogue_index, listed_index
from nlu.normalize import normalize, words
from nlu.ordinal import read_ordinal
from nlu.procedure_index import ProcedureIndex
from nlu.vocabulary import understood, vocabulary

logger = logging.getLogger(__name__)

# a message property (not an entity: the actions resolve the light list themselves): the listed procedure named
LISTED_PROCEDURE = "listed_procedure"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Tokenizes a message into the normaliser's canonical words, keeping original offsets.

    Featurizers see "dang ky khai sinh can gi" whether the citizen typed "Đăng ký khai sinh cần
    gì ạ", "dk khai sinh can j" or "ĐĂNG KÝ KHAI SINH CẦN GÌ", so messages without diacritics
    score as well as those with them.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain what depends on the tokens when the normaliser's rules or this class's code
        (``tokenize``) change (Rasa only fingerprints the config, not the code)."""
        digest = hashlib.sha256(_source_fingerprint().encode())
        digest.update(inspect.getsource(cls).encode())
        return digest.hexdigest()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "VietnameseTokenizer":
        """Creates the tokenizer."""
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Canonical tokens for the text attribute; plain whitespace tokens for the others."""
        text = message.get(attribute) or ""
        if attribute != TEXT:
            return self._convert_words_to_tokens(text.split() or [text], text)
        found: List[Token] = []
        for word in words(text):
            for part in word.norm.split():
                found.append(Token(part, word.start, word.end, lemma=part))
        if not found:  # emoji-only or punctuation-only message
            found = [Token("__empty__", 0, len(text), lemma="__empty__")]
        return self._apply_token_pattern(found)


TOKENS_CODE = ("normalize.py",)  # what the tokens (so every featurizer and the intent classifier) depend on
RESOLVER_CODE = ("normalize.py", "procedure_index.py", "listed.py", "vocabulary.py", "dossier_code.py", "ordinal.py",
                 "components.py")


def _source_fingerprint(files=TOKENS_CODE) -> str:
    """A hash of the named modules of nlu/: only what a component really runs, so editing the resolver's
    code or the catalogue does not retrain the intent classifier (Rasa's cache keeps it)."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in files:
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def _catalogue_fingerprint(directory: Path, list_dir: Optional[Path] = None) -> str:
    digest = hashlib.sha256(_source_fingerprint(RESOLVER_CODE).encode())
    # how catalogue files become the resolver's records and the guard's phrases
    digest.update((Path(__file__).resolve().parent.parent / "bot" / "catalogue" / "procedures.py").read_bytes())
    paths = sorted(Path(directory).glob("*.yml")) + sorted((Path(directory) / "variants").glob("*.yml"))  # + cue groups
    if list_dir is not None and Path(list_dir).exists():  # the light list that guards the resolver
        digest.update((Path(__file__).resolve().parent.parent / "bot" / "catalogue" / "procedure_list.py").read_bytes())
        paths += sorted(Path(list_dir).glob("*.yml"))
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _list_dir(config: Dict[str, Any]) -> Path:
    """The light list's directory: configured, or ``procedure_list`` beside the catalogue's."""
    catalogue = Path(config.get("catalogue", "data/procedures"))
    return Path(config.get("procedure_list") or catalogue.parent / "procedure_list")


class ReadsCatalogue:
    """A component that reads the catalogue and the light list when it trains (put it first among the bases).

    Rasa sees neither directory, so the fingerprint adds theirs and the index's code: an edited alias or a changed
    resolver retrains the component. ``procedure_list`` None means the directory beside the catalogue's.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config."""
        return {"catalogue": "data/procedures", "procedure_list": None}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain when a catalogue or light-list file or the code that reads them changes."""
        directory = Path(config.get("catalogue", "data/procedures"))
        return _catalogue_fingerprint(directory, _list_dir(config)) if directory.exists() else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ProcedureResolver(ReadsCatalogue, GraphComponent, EntityExtractorMixin):
    """Adds a ``procedure`` entity: the catalogue entry the message is about.

    The index is built from ``data/procedures/`` at training time and stored in the model, so
    parsing never reads the database. An ambiguous phrase yields the best entry with the
    tied ``candidates``. The light list (``data/procedure_list/``, stored beside it) guards it: a message
    that names a listed procedure more precisely than the catalogue phrase it matched gets no entity, so the
    actions name the listed procedure and who handles it (:class:`nlu.listed.CatalogueResolver`).
    """

    FILE_NAME = "procedure_index.json"
    LISTED_FILE_NAME = "listed_index.json"

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        index: Optional[CatalogueResolver] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.index = index

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ProcedureResolver":
        """Creates an untrained resolver."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Builds the phrase indexes of the catalogue and of the light list and stores them in the model."""
        self.index = catalogue_index(Path(self._config["catalogue"]), _list_dir(self._config))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.FILE_NAME).write_text(
                json.dumps(self.index.catalogue.records(), ensure_ascii=False), encoding="utf-8"
            )
            if self.index.listed is not None:
                (directory / self.LISTED_FILE_NAME).write_text(
                    json.dumps(self.index.listed.records(), ensure_ascii=False), encoding="utf-8"
                )
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ProcedureResolver":
        """Loads the stored index."""
        try:
            with model_storage.read_from(resource) as directory:
                records = json.loads((directory / cls.FILE_NAME).read_text(encoding="utf-8"))
                listed_path = directory / cls.LISTED_FILE_NAME
                listed = json.loads(listed_path.read_text(encoding="utf-8")) if listed_path.exists() else None
            index = CatalogueResolver(ProcedureIndex.from_records(records),
                                      ProcedureIndex.from_records(listed) if listed else None)
            return cls(config, model_storage, resource, index)
        except (ValueError, FileNotFoundError):
            logger.warning("No procedure index in the model: procedures will not be resolved.")
            return cls(config, model_storage, resource)

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the ``procedure`` entity to each message that names one."""
        for message in messages:
            text = message.get(TEXT) or ""
            resolution = self.index.resolve(text) if self.index else None
            if resolution is None:
                listed = self.index.listed.resolve(text) if self.index and self.index.listed else None
                if listed is not None:  # a procedure the ward does not handle ("làm hộ chiếu"): the aspect rule may read it
                    message.set(LISTED_PROCEDURE, listed.id)
                continue
            entity = {
                "entity": "procedure",
                "value": resolution.id,
                "start": 0,
                "end": len(text),
                "confidence_entity": round(resolution.score / 100.0, 3),
                "code": resolution.code,
                "name": resolution.name,
                "matched": resolution.matched,
            }
            if resolution.ambiguous:
                entity["candidates"] = resolution.candidates
            message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name([entity]), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is left as it is."""
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class PatternEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds ``dossier_code`` (exactly as typed), ``invite_code`` (canonical: ``KMRT-VXAB-QHNC``) and ``ordinal``
    (a numbered choice) entities."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "PatternEntityExtractor":
        """Creates the extractor."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the entities found in each message."""
        for message in messages:
            text = message.get(TEXT) or ""
            found = [
                {"entity": "dossier_code", "value": code, "start": start, "end": end}
                for code, start, end in find_codes(text)
            ]
            found += [
                {"entity": "invite_code", "value": code, "start": start, "end": end}
                for code, start, end in find_invite_codes(text)
            ]
            ordinal = read_ordinal(text) if len(text) < 200 else None
            if ordinal is not None:
                found.append({"entity": "ordinal", "value": ordinal, "start": 0, "end": len(text)})
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(found), add_to_output=True)
        return messages


class RuleClassifier(GraphComponent):
    """A classifier by rule, not trained: built without state, and leaves the training data as it is."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RuleClassifier":
        """Creates the classifier."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is left as it is."""
        return training_data


def named_procedures(message: Message) -> set:
    """The catalogue procedures the resolver found in the message (its id and any numbered candidates)."""
    return {str(c) for e in message.get(ENTITIES, []) if e.get("entity") == "procedure"
            for c in [e.get("value"), *(e.get("candidates") or [])] if c}


def names_listed_procedure(message: Message) -> bool:
    """Whether the message names no catalogue procedure but one of the light list's (handled outside the ward)."""
    return bool(message.get(LISTED_PROCEDURE))


def names_procedure(message: Message) -> bool:
    """Whether the resolver found a catalogue procedure in the message."""
    return bool(named_procedures(message))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CorrectionClassifier(RuleClassifier):
    """A correction that names a procedure ("ý tôi là đăng ký khai tử", "không phải, khai tử cơ") asks about it.

    Put it after ``ProcedureResolver``: the message's intent becomes ``ask_procedure`` (the action then
    answers the aspect asked before) whatever the classifier guessed, often ``bot_challenge`` for "ý tôi là".
    The rule is :func:`nlu.corrections.is_correction`; other messages are left as they are.
    """

    INTENT = "ask_procedure"

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``ask_procedure`` on corrections that name a procedure."""
        for message in messages:
            if not names_procedure(message) or not is_correction(message.get(TEXT) or ""):
                continue
            intent = {"name": self.INTENT, "confidence": 1.0}
            message.set(INTENT, intent, add_to_output=True)
            # the classifier's runner-ups go: one close to 1.0 would make FallbackClassifier call it ambiguous
            message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        return messages


# the intents that ask about a procedure of the catalogue (an aspect of it)
PROCEDURE_INTENTS = ("ask_procedure", "ask_documents", "ask_fee", "ask_processing_time", "ask_where", "ask_form", "ask_legal")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NamedProcedureClassifier(RuleClassifier):
    """A message the classifier was unsure of ("lam giay chung tu cho me o dau"), that names a catalogue procedure and
    whose best guess is a question about a procedure, asks that question.

    Put it after ``FallbackClassifier``: when it chose ``nlu_fallback`` (confidence under the threshold, or two close
    guesses) while the resolver found a procedure in the message, and the classifier's own best guess is one of
    :data:`PROCEDURE_INTENTS`, the two agree and the guess stands; any other best guess (a dossier, a complaint, small
    talk) still falls back and is asked about. A message naming no procedure is left as it is.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        """Restores the classifier's best guess on fallbacks that name a procedure."""
        for message in messages:
            if (message.get(INTENT) or {}).get("name") != FALLBACK_INTENT:
                continue
            if not names_procedure(message):
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != FALLBACK_INTENT]
            if ranking and ranking[0].get("name") in PROCEDURE_INTENTS:
                message.set(INTENT, {"name": ranking[0]["name"], "confidence": ranking[0].get("confidence", 0.0)},
                            add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages


# intents the classifier confuses with a specific aspect of a named procedure ("làm vneid mức 2 có mất phí không" is
# the fee of a procedure, not the e-ID guide), and the aspects that may replace them (read sets v1-v9, session 8)
_SPECIFIC = tuple(a for a in ASPECTS if a != "ask_procedure")
ASPECT_OVER = {
    # a complaint or "not ours" guessed on "cây bàng trước nhà to quá, muốn chặt thì có phải xin phép không" (a named
    # catalogue procedure): the general "how" replaces them too (read sets v4-v17, session 10)
    "ask_law": _SPECIFIC, "feedback": ASPECTS, "out_of_scope": ASPECTS, "ask_eid": _SPECIFIC,
    "subscribe": _SPECIFIC, "unsubscribe": _SPECIFIC, "goodbye": ASPECTS,
    "area_broadcast": _SPECIFIC, "human_handoff": _SPECIFIC,  # "... muốn đổi cái mới thì làm ở đâu" (v12, session 9)
    # "quầy nào" is its own where-question; "chuyển đất vườn sang đất ở thì xin phép ở đâu" asks the procedure's place
    "ask_counter": ASPECTS,
}
# "check_dossier" guessed on a question about a named procedure that asks nothing about a dossier's progress ("giấy
# phép xây dựng sắp hết hạn mà chưa khởi công thì gia hạn thế nào", "rút hồ sơ lại được không"): the aspect it names.
# Progress words keep it ("đến đâu rồi", "bị trả lại không", "đã duyệt chưa", "kết quả", a dossier code); the training
# examples of check_dossier that name a procedure all have one (session 9)
DOSSIER_PROGRESS = re.compile(r"\b(?:den|toi) dau\b|\bthe nao roi\b|\bbi (?:tra|bo sung|thieu|tu choi)\b"
                              r"|\b(?:xong|duyet|ky|giai quyet|xu ly|co) chua\b|\bvuong\b|\bket qua\b|\btien do\b"
                              r"|\b(?:bi|dang|van|con) ket\b|\b(?:xem|kiem tra|tra) giup\b|\bvan chua (?:co|thay|nhan|duoc)\b|\bchua thay\b")


def asks_progress(message: Message) -> bool:
    """Whether a message asks how a dossier is getting on (progress words, or a dossier code)."""
    return bool(DOSSIER_PROGRESS.search(normalize(message.get(TEXT) or "")) or
                any(e.get("entity") == "dossier_code" for e in message.get(ENTITIES, [])))


# ``ask_eid`` is the walk-through of the level-2 e-ID (the action answers on EID_PROCEDURE): "tài khoản định danh mức 2
# đăng ký ở đâu" stays it (the walk-through says where); a question about another procedure the classifier took for it
# ("khóa căn cước điện tử thế nào", "tài khoản định danh cho công ty làm sao", "sửa thông tin dân cư trên vneid") asks
# that procedure's aspect, the general "how" included: the level-2 walk-through does not answer it (EID_OWN: the
# entries it does answer)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class AspectClassifier(RuleClassifier):
    """A question about a procedure asks the aspect its question clauses name (:func:`nlu.aspect.aspect`).

    Put it last, after ``NamedProcedureClassifier``: when the classifier's best guess other than ``nlu_fallback`` is
    one of :data:`PROCEDURE_INTENTS` (it has decided the message asks about a procedure) and the question's cue words
    decide the aspect, that aspect is the intent, even over a fallback: "Chồng tôi người Nhật, giấy khai sinh của con
    làm ở phường bị ghi sai, giờ sửa thế nào?" asks how (``ask_procedure``), not where. Other messages (small talk, a
    dossier, an invite, a message whose cues name no aspect or two) keep what the classifier decided, except a
    fallback on a message that names a catalogue procedure: the classifier was unsure, the resolver found the procedure,
    and the question's words say what is asked ("tổ dân phố bầu em làm hòa giải viên, phường công nhận thế nào"); and
    a guess of :data:`ASPECT_OVER` (the law, a counter, the e-ID guide, a complaint about service) on a message that
    names a procedure and asks one of its specific aspects ("khai sinh có yếu tố nước ngoài mất bao lâu").
    """

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the aspect the question names on messages the classifier took for procedure questions."""
        for message in messages:
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != FALLBACK_INTENT]
            current = (message.get(INTENT) or {}).get("name")
            best = ranking[0].get("name") if ranking else current
            procedures = named_procedures(message)
            named = bool(procedures) or names_listed_procedure(message)
            unsure_about_named = current == FALLBACK_INTENT and named
            # a guess the question's aspect replaces whatever it is, the general "how" included
            misread = bool(procedures) and ((best == "ask_eid" and not procedures & EID_OWN)
                                            or (best == "check_dossier" and not asks_progress(message)))
            specific_only = best in ASPECT_OVER and named and not unsure_about_named and not misread
            if misread:
                best = "ask_procedure"  # the aspect the question names, as for any procedure question
            if best not in PROCEDURE_INTENTS and not unsure_about_named and not specific_only:
                continue
            text = message.get(TEXT) or ""
            name = aspect(text)
            if name is None or name == current or (specific_only and name not in ASPECT_OVER[best]):
                continue
            if specific_only and best == "ask_eid" and name == "ask_where" and procedures & EID_OWN:
                continue
            # no procedure named, the ward's or one handled elsewhere (session 12: "mở doanh nghiệp tư nhân … phường có
            # nhận không" asks where, not the ward's opening hours), or a counter named ("quầy nào"): the office's own
            # card or address stays, and a complaint is not turned into a "how"
            office_or_counter = not named or asks_for_counter(text)
            if best == "ask_counter" and name == "ask_where" and office_or_counter:
                continue
            if specific_only and best in ("feedback", "out_of_scope", "ask_counter") and name == "ask_procedure" and office_or_counter:
                continue
            chosen = next((r for r in ranking if r.get("name") == name), {"name": name, "confidence": 0.0})
            intent = {"name": name, "confidence": 1.0}
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent] + [r for r in ranking if r is not chosen], add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InviteClassifier(RuleClassifier):
    """An invite code ("mã mời KMRT-VXAB-QHNC") is ``redeem_invite``; "/taomoi …", "tạo mã mời …" is ``create_invite``.

    Put it after ``UnknownWordsGuard`` and before ``FallbackClassifier`` ("/taomoi leader" has no word the guard
    knows, and must not fall back): the rule (:func:`nlu.invite_code.invite_intent`) wins over whatever the
    classifier guessed, so an official's first message never depends on training. Other messages are left as they are.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the invite intents the rule finds."""
        for message in messages:
            name = invite_intent(message.get(TEXT) or "")
            if name is None:
                continue
            intent = {"name": name, "confidence": 1.0}
            message.set(INTENT, intent, add_to_output=True)
            # the rule decided: no runner-up, so FallbackClassifier never calls it ambiguous
            message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsGuard(ReadsCatalogue, GraphComponent):
    """Takes the confidence away from a message whose words the assistant never saw.

    Put it after the classifier and the entity extractors and before ``FallbackClassifier``:
    "qwzx plm brrt" then falls back (the assistant asks back) instead of getting a confident
    guess. A message with a procedure, a dossier code or a choice number is always kept.
    The vocabulary (training examples + catalogue phrases + the light list's names and aliases) is stored in the
    model.
    """

    FILE_NAME = "vocabulary.json"

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 known: Optional[set] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.known = known or set()

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "UnknownWordsGuard":
        """Creates an untrained guard."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Collects the known words and stores them in the model."""
        from bot.catalogue.procedures import index_records, load_catalogue

        texts = [m.get(TEXT) for m in training_data.intent_examples if m.get(TEXT)]
        for record in index_records(load_catalogue(Path(self._config["catalogue"]))):
            texts += [record["name"], *record["phrases"]]
        listed = listed_index(Path(self._config["catalogue"]), _list_dir(self._config))
        for record in listed.records() if listed is not None else []:
            texts += [record["name"], *record["phrases"]]
        self.known = vocabulary(texts)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.FILE_NAME).write_text(json.dumps(sorted(self.known), ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "UnknownWordsGuard":
        """Loads the stored vocabulary."""
        try:
            with model_storage.read_from(resource) as directory:
                known = set(json.loads((directory / cls.FILE_NAME).read_text(encoding="utf-8")))
            return cls(config, model_storage, resource, known)
        except (ValueError, FileNotFoundError):
            logger.warning("No vocabulary in the model: unknown-word messages will not fall back.")
            return cls(config, model_storage, resource)

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the intent confidence to 0 for messages with (almost) no known word."""
        for message in messages:
            if not self.known or message.get(ENTITIES) or not message.get(INTENT):
                continue
            if not understood(message.get(TEXT) or "", self.known):
                intent = dict(message.get(INTENT))
                intent["confidence"] = 0.0
                message.set(INTENT, intent, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is left as it is."""
        return training_data
