# Run by the harness through `netbox shell --command` once, when the template database is built:
# a superuser and the API tokens the tests use. Prints one line `NBSYNC-BOOTSTRAP <json>` with the credentials.
# Inputs come from the environment: NBSYNC_ADMIN_USER, NBSYNC_ADMIN_PASSWORD.
import json
import os

from users.models import Token, User

username = os.environ['NBSYNC_ADMIN_USER']
password = os.environ['NBSYNC_ADMIN_PASSWORD']
admin = User.objects.create_superuser(username=username, email=f'{username}@example.invalid', password=password)


def token(version, description, write_enabled=True):
    # NetBox generates the plaintext ([A-Za-z0-9]{40}); v2 tokens are hashed with API_TOKEN_PEPPERS[1].
    t = Token(version=version, user=admin, description=description, write_enabled=write_enabled)
    t.full_clean()
    t.save()
    return t.token if t.v1 else f'nbt_{t.key}.{t.token}'


tokens = {
    'v1': token(1, 'netbox-ippool-sync tests: v1 write'),
    'v2': token(2, 'netbox-ippool-sync tests: v2 write'),
    'readOnly': token(1, 'netbox-ippool-sync tests: v1 read-only', write_enabled=False),
    'readOnlyV2': token(2, 'netbox-ippool-sync tests: v2 read-only', write_enabled=False),
}
print('NBSYNC-BOOTSTRAP ' + json.dumps({'admin': {'username': username, 'password': password}, 'tokens': tokens}))
