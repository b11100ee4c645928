"""The admin app, serving the site that signs staff in where everyone signs in
(`accounts.admin_site`).

Django imports this module from `INSTALLED_APPS`, before any model exists, so it names the
site by its dotted path; Django imports the site once the models are loaded.
"""

from django.contrib.admin.apps import AdminConfig


class PioneerAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.PioneerAdminSite"
