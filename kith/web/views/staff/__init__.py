"""The moderation area (/moderation/): staff find abuse and act.  One module per part:
reports (the queue), accounts (actions, appeals), domains (domain policies, e-mail blocks),
pod (rules, roles, audit log).  Views are thin: kith.moderation decides."""
