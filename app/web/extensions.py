"""Flask extensions, created unbound here and bound to an app in ``create_app``."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers

from ballots.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
wtforms_helpers = WTFormsHelpers()
mail = Mail()
# No default limits: only the routes that need one (sign in, register, codes) carry a limit.
limiter = Limiter(key_func=get_remote_address)
