"""Schema and seed data of the reference API's database, exactly as docs/ARCHITECTURE.md "Database".

Run once, through the engine as the admin login, when the state folder has no database yet.
"""

from __future__ import annotations

from decimal import Decimal

DDL = [
    """CREATE TABLE dbo.Courses (
  CourseId    INT            NOT NULL PRIMARY KEY,
  Code        NVARCHAR(20)   NOT NULL UNIQUE,
  Title       NVARCHAR(200)  NOT NULL,
  Description NVARCHAR(MAX)  NULL,
  Credits     TINYINT        NOT NULL,
  Price       DECIMAL(10,2)  NOT NULL,
  IsPublished BIT            NOT NULL,
  CreatedAt   DATETIME2      NOT NULL
)""",
    """CREATE TABLE dbo.ExamSubmissions (
  ExamId      INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
  CourseId    INT            NOT NULL REFERENCES dbo.Courses(CourseId),
  UserSub     NVARCHAR(64)   NOT NULL,
  Answers     NVARCHAR(MAX)  NOT NULL,
  Score       DECIMAL(5,2)   NULL,
  SubmittedAt DATETIME2      NOT NULL
)""",
]

APP_TABLES = ("Courses", "ExamSubmissions")
APP_PERMISSIONS = ("SELECT", "INSERT", "UPDATE")

_TOPICS = [
    "Introduction to Cloud Computing",
    "Networking Fundamentals",
    "Linux Administration",
    "Python for Automation",
    "SQL Server Essentials",
    "Identity and Access Management",
    "Serverless Architectures",
    "API Design",
    "Observability and Monitoring",
    "Security Basics",
    "Infrastructure as Code",
    "Containers in Practice",
    "Data Modelling",
    "Incident Response",
    "Performance Testing",
    "Cost Optimisation",
    "Disaster Recovery",
    "Event-Driven Systems",
    "Accessibility on the Web",
    "Technical Writing",
]

CANARY_COURSE_ID = 9001

# (CourseId, Code, Title, Description, Credits, Price, IsPublished, CreatedAt)
SeedRow = tuple[int, str, str, str | None, int, Decimal, bool, str]


def seed_rows() -> list[SeedRow]:
    """(CourseId, Code, Title, Description, Credits, Price, IsPublished, CreatedAt) rows."""
    rows: list[SeedRow] = []
    for i, topic in enumerate(_TOPICS, start=1):
        description = None if i % 5 == 0 else f"{topic}: a self-paced course with graded exams."
        price = Decimal(f"{19 + i * 10}.{(i * 7) % 100:02d}")
        rows.append(
            (i, f"LH-{100 + i}", topic, description, 1 + i % 5, price, i not in (19, 20), f"2024-01-{i:02d} 09:00:00")
        )
    rows.append(
        (
            CANARY_COURSE_ID,
            "CANARY-001",
            "Canary course: do not delete",
            "Synthetic course the post-deploy suite reads to prove the data path works.",
            1,
            Decimal("0.00"),
            True,
            "2024-01-01 00:00:00",
        )
    )
    return rows


SEED_SQL = (
    "INSERT INTO dbo.Courses (CourseId, Code, Title, Description, Credits, Price, IsPublished, CreatedAt) "
    "VALUES (@id, @code, @title, @description, @credits, @price, @published, @created)"
)
SEED_DECL = (
    "@id int, @code nvarchar(20), @title nvarchar(200), @description nvarchar(max), @credits tinyint, "
    "@price decimal(10,2), @published bit, @created datetime2"
)
