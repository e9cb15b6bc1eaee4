"""The programme's charter template as shipped: ten sections in our own words (seed 000 lists what a KAM charter
covers; the wording here is ours). Programme leads rewrite it on Charters → Template; migration charters.0002 writes
it into a new database, and `CharterTemplate.current()` falls back to it where the row is missing (a test's flush).

Each section: key (fixed: the structured fields of an account's charter attach to it), number, title, the default
Markdown body, and guidance for the people who write an account's charter."""

SECTIONS = [
    {
        "key": "overview",
        "number": 1,
        "title": "Overview and objectives",
        "guidance": "Say in two or three sentences why this customer is a key account for us and what both sides want "
        "from the partnership. The client's own goals and the KPIs we agree are added from the fields below.",
        "body": """Key account management is how we look after the few customers whose success matters most to ours.
Instead of selling account by account and project by project, one team takes responsibility for the whole
relationship, plans it with you, and measures it against goals we agree together.

**What we aim for together**

- A partnership that lasts for years and pays off for both sides
- Customers who are satisfied, stay with us and recommend us
- Growth that comes from solving your real problems, not from pushing products
- One coordinated approach across your regions and subsidiaries
- Fewer hand-offs and less friction, so both teams spend their time on what matters""",
    },
    {
        "key": "responsibilities",
        "number": 2,
        "title": "Key responsibilities",
        "guidance": "Describe what the key account manager and the account team do for this customer. Keep the "
        "headings; adjust the points to how the team really works.",
        "body": """Your key account manager leads a team that answers for the relationship as a whole.

**Developing and keeping the account**

- *Planning*: keep an account plan with short- and long-term goals, and review it with you.
- *Relationships*: be your first point of contact and know the people who decide and use our services on your side.
- *Your voice inside our company*: bring your needs to product, delivery and support, and follow them through.
- *Risk*: spot commercial, operational and reputational risks early and agree how to handle them.

**Delivering the service**

- *Service levels*: keep the commitments in section 4 and report on them openly.
- *Problems*: own every escalation until it is solved, with a named path for urgent issues.
- *Reviews*: hold regular business reviews of results, satisfaction and next steps.

**Finding opportunities**

- Look for ways to simplify your processes, lower your costs or open new business, and bring them with a business
  case, not a sales pitch.
- Share what we learn across our industry where it helps you.""",
    },
    {
        "key": "deliverables",
        "number": 3,
        "title": "Deliverables",
        "guidance": "List what the customer receives from the key account team and how often. Add anything agreed "
        "in the contract (dashboards, special reports).",
        "body": """The key account team provides:

- **An account plan** with goals, KPIs, risks and opportunities, renewed every year and updated when things change.
- **A relationship map** of the people who decide, influence and use our services, kept current with you.
- **Performance reports** on the KPIs, service levels and satisfaction, with recommendations for the next period.
- **Review meeting notes** with the decisions and actions agreed, shared within a few working days.""",
    },
    {
        "key": "service_levels",
        "number": 4,
        "title": "Service level agreements",
        "guidance": "The table below is filled from the account's service-level commitments. Use this text for what "
        "the table cannot say: scope, exclusions, how breaches are reported.",
        "body": """These service levels cover what the key account team itself commits to. Commitments of other
services (support desk, delivery, hosting) stay in their own agreements. We report how we did against each of them in
the regular reviews.""",
    },
    {
        "key": "collaboration",
        "number": 5,
        "title": "Collaboration and communication",
        "guidance": "Say how and how often the teams meet and talk. The meeting rhythm and the customer's preferences "
        "are added from the fields below.",
        "body": """Good collaboration depends on knowing who talks to whom, how and how often.

- **Meetings in person**: mainly for the business reviews; more when a project needs it (travel costs may apply).
- **Day-to-day**: e-mail, video calls and the shared tools listed in section 7.
- **Records**: decisions, changes to the plan and open actions are written down and shared, so everyone involved
  sees the same picture.""",
    },
    {
        "key": "value",
        "number": 6,
        "title": "Value proposition",
        "guidance": "Explain what the customer gains from being managed as a key account, in terms they care about.",
        "body": """Being one of our key accounts means:

- **Attention to your situation**: plans and proposals start from your goals, not from our catalogue.
- **Growth over time**: we look for opportunities that keep paying off, not one-off deals.
- **Insight you can use**: figures and observations that help you decide, with a clear recommendation.
- **A partner, not a supplier**: we share the risk of getting things right and improve with you.""",
    },
    {
        "key": "technology",
        "number": 7,
        "title": "Technology integration",
        "guidance": "Describe the tools both teams use to work together and to follow progress. The tools chosen for "
        "this account are listed from the fields below.",
        "body": """We use technology to keep both teams informed without extra meetings:

- **Dashboards and reports** that show progress on the account plan and the service levels.
- **Shared workspaces** for tasks, documents and messages, agreed with your team.
- **Video calls** for regular check-ins, reviews and problem solving.
- **Figures, not impressions**: decisions on the account rest on data both sides can see.""",
    },
    {
        "key": "client_responsibilities",
        "number": 8,
        "title": "Client responsibilities",
        "guidance": "Say what we need from the customer for the partnership to work. Add what was agreed with this "
        "customer in the field below.",
        "body": """The partnership works when both sides take part. We ask you to:

- **Share your goals and priorities**, and tell us when they change.
- **Take part in the reviews** and answer our questions and proposals in good time.
- **Work with the team** on the plan and its actions, with named contacts on your side.
- **Be open** about information that affects the account, so we can act before problems grow.""",
    },
    {
        "key": "scalability",
        "number": 9,
        "title": "Scalability",
        "guidance": "Explain how the service adapts when the customer grows, shrinks, merges or enters new markets.",
        "body": """The way we manage your account changes with your business:

- **Strategy**: when you expand, restructure or change direction, the account plan follows.
- **People**: the team grows or changes with the size and complexity of the account.
- **Measures**: KPIs and targets are reviewed at least once a year so they keep measuring what matters.
- **Looking ahead**: we plan for your next stage, not only for the current year.""",
    },
    {
        "key": "annual_process",
        "number": 10,
        "title": "The annual KAM process",
        "guidance": "Describe the yearly cycle with this customer. Adjust the months and the number of reviews to the "
        "account's segment.",
        "body": """The partnership runs in a yearly cycle:

1. **Strategy session** at the start of the year: look back at results, agree the goals for the year ahead.
2. **Account plan**: the key account manager drafts the plan with you: goals, actions, owners and dates.
3. **KPIs and targets**: agree how success is measured and what good looks like.
4. **Communication and reporting**: fix the meeting rhythm, the reports and who receives them.
5. **Mid-year review**: check progress against the KPIs and adjust the plan where needed.
6. **Year-end evaluation**: review the year as a whole and carry the lessons into the next cycle.""",
    },
]

KEYS = [section["key"] for section in SECTIONS]


def default_sections() -> list[dict]:
    return [dict(section) for section in SECTIONS]


def seed(apps):
    Template = apps.get_model("charters", "CharterTemplate")
    if not Template.objects.exists():
        Template.objects.create(sections=default_sections())
