"""The domain's services over one database file, built once per process and handed to whoever needs them
(custom actions get them injected when the in-process executor registers them; channels and jobs get them
from the command that starts them). Nothing here knows about dialogue or channels."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Optional, Union

import sqlite_utils

from bot.catalogue.repository import Catalogue
from bot.db import open_database
from bot.delivery.files import OutgoingFiles
from bot.delivery.outbox import Outbox
from bot.dossiers.records import Dossiers
from bot.legal.library import Law
from bot.officials.tasks import Tasks
from bot.people.audit import Audit
from bot.people.desk import Desk
from bot.people.handoff import Handoffs
from bot.people.invites import Invites
from bot.people.petitions import Petitions
from bot.people.privacy import Privacy, PrivacyPolicy
from bot.people.ratings import DossierRatings
from bot.people.reviews import Reviews
from bot.people.subscriptions import Subscriptions
from bot.people.users import Users
from bot.people.waiting import Waiting
from bot.privacy import NameBook, register


@dataclass(frozen=True)
class Services:
    """The catalogue, dossiers, people, review tables, the officials' tasks and the law of one deployment."""

    path: Path
    db: sqlite_utils.Database
    catalogue: Catalogue
    dossiers: Dossiers
    users: Users
    subscriptions: Subscriptions
    reviews: Reviews
    invites: Invites
    audit: Audit
    tasks: Tasks
    files: OutgoingFiles = field(default_factory=OutgoingFiles)  # charts and sheets an action attaches to its reply
    legal: Law = field(default_factory=Law)  # the legal register, the quotable articles and their index (bot/legal)
    policy: PrivacyPolicy = field(default_factory=PrivacyPolicy)  # retention and the tracker file (bot/people/privacy.py)
    names: NameBook = None  # type: ignore[assignment]  # the personal names the log masker hides (bot/privacy.py)

    @classmethod
    def open(cls, path: Union[str, Path], legal_dir: Union[str, Path, None] = None,
             policy: Optional[PrivacyPolicy] = None) -> "Services":
        """Open (and migrate) the database at ``path`` and build the services over it (the law from ``legal_dir``,
        default data/legal; ``policy``: retention days and the tracker file, default 180 days and tracker.db beside
        the database). Its names are registered with the log masker while the services live."""
        db = open_database(path)
        catalogue = Catalogue(db)
        return cls(Path(path), db, catalogue, Dossiers(db, catalogue), Users(db), Subscriptions(db), Reviews(db),
                   Invites(db), Audit(db), Tasks(db), legal=Law(Path(legal_dir) if legal_dir else None),
                   policy=policy or PrivacyPolicy(), names=register(NameBook(path)))

    # A person, a complaint, a rating (issue 13): built on first use, over the same database; notices go through
    # this process's own outbox connection.
    @cached_property
    def outbox(self) -> Outbox:
        """The outbox of this database (its own connection)."""
        return Outbox(self.path)

    @cached_property
    def handoffs(self) -> Handoffs:
        """Conversations handed to an official (bot/people/handoff.py)."""
        return Handoffs(self.db, self.users, lambda: self.outbox)

    @cached_property
    def petitions(self) -> Petitions:
        """Phản ánh, kiến nghị (bot/people/petitions.py)."""
        return Petitions(self.db, self.users, lambda: self.outbox)

    @cached_property
    def ratings(self) -> DossierRatings:
        """Citizens' ratings of finished dossiers (bot/people/ratings.py)."""
        return DossierRatings(self.db)

    @cached_property
    def waiting(self) -> Waiting:
        """What an account's next message answers (bot/people/waiting.py)."""
        return Waiting(self.db)

    @cached_property
    def privacy(self) -> Privacy:
        """The privacy notice, what is held, erasure and retention (bot/people/privacy.py)."""
        return Privacy(self.db, self.users, self.path, self.policy)

    @cached_property
    def desk(self) -> Desk:
        """What the engine asks before the NLU (bot/people/desk.py)."""
        return Desk(self.users, self.waiting, self.handoffs, self.petitions, self.ratings, self.privacy, self.audit)


@lru_cache(maxsize=8)
def shared_services(path: str, policy: Optional[PrivacyPolicy] = None) -> Services:
    """One :class:`Services` per database file (and privacy policy) in this process."""
    return Services.open(path, policy=policy)


def deployment_services(settings: Any) -> Services:
    """The shared services of a deployment's settings (its database, retention days and tracker file)."""
    return shared_services(str(settings.db_path), PrivacyPolicy.from_settings(settings))
