"""Run the notifications service alone: python -m services.notifications"""

from services.kit.serve import serve
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings

if __name__ == "__main__":
    settings = NotificationsSettings()
    serve(create_app(settings), settings)
