"""The database tables (SQLModel) and the services that act on them.

Importing this package registers every table on `SQLModel.metadata`; it touches no database.
"""

from models.access import AdminCredential, AdminSession, LoginToken
from models.ledger import LedgerCountyMonth, LedgerMonth
from models.messaging import AuditLog, Broadcast, Delivery, DeliveryStatus, InboundMessage, Invite
from models.pairing import Agreement, Pairing, PairingGroup, PairingStatus, PairingStatusChange, Project, ProjectStatus
from models.projects import ClaimStatus, Need, NeedClaim, NeedStatus, Offer
from models.registry import ChannelIdentity, Contact, County, Group, Organization, Role
from models.reminders import ReminderSent
from models.reporting import (
    Attachment,
    Deadline,
    PendingQuestion,
    ProgressEdit,
    ProgressUpdate,
    ReportCycle,
    ReviewStatus,
)

__all__ = [
    "AdminCredential", "AdminSession", "LoginToken", "ReminderSent",
    "Agreement", "Attachment", "AuditLog", "Broadcast", "ChannelIdentity", "Contact", "County",
    "Deadline", "Delivery", "LedgerCountyMonth", "LedgerMonth", "DeliveryStatus", "Group", "InboundMessage", "Invite", "Organization",
    "Pairing", "PairingGroup", "PairingStatus", "PairingStatusChange", "PendingQuestion", "ProgressEdit",
    "ProgressUpdate", "Project", "ProjectStatus", "ReportCycle", "ReviewStatus", "Role",
    "ClaimStatus", "Need", "NeedClaim", "NeedStatus", "Offer",
]

# The ledger's sums follow every change to a progress update (a session hook, see models.services.sums).
import models.services.sums  # noqa: E402,F401  (registers the hook; touches no database)
