"""Identity pools: AllowClassicFlow is stored, returned by Create/Describe/Update, and defaults to false."""

from __future__ import annotations

import uuid


def _create(identity, **settings):
    return identity.create_identity_pool(
        IdentityPoolName=f"ip_{uuid.uuid4().hex[:8]}", AllowUnauthenticatedIdentities=False, **settings
    )


def test_default_is_false(aws):
    identity = aws("cognito-identity")
    created = _create(identity)
    assert created["AllowClassicFlow"] is False
    assert identity.describe_identity_pool(IdentityPoolId=created["IdentityPoolId"])["AllowClassicFlow"] is False


def test_create_and_update_store_it(aws):
    identity = aws("cognito-identity")
    created = _create(identity, AllowClassicFlow=True)
    pool_id, name = created["IdentityPoolId"], created["IdentityPoolName"]
    assert created["AllowClassicFlow"] is True
    assert identity.describe_identity_pool(IdentityPoolId=pool_id)["AllowClassicFlow"] is True
    updated = identity.update_identity_pool(
        IdentityPoolId=pool_id, IdentityPoolName=name, AllowUnauthenticatedIdentities=False, AllowClassicFlow=False
    )
    assert updated["AllowClassicFlow"] is False
    assert identity.describe_identity_pool(IdentityPoolId=pool_id)["AllowClassicFlow"] is False
    identity.update_identity_pool(
        IdentityPoolId=pool_id, IdentityPoolName=name, AllowUnauthenticatedIdentities=False, AllowClassicFlow=True
    )
    assert identity.describe_identity_pool(IdentityPoolId=pool_id)["AllowClassicFlow"] is True


def test_update_without_it_turns_it_off(aws):
    """UpdateIdentityPool replaces the configuration: a setting left out goes back to its default."""
    identity = aws("cognito-identity")
    created = _create(identity, AllowClassicFlow=True)
    updated = identity.update_identity_pool(
        IdentityPoolId=created["IdentityPoolId"],
        IdentityPoolName=created["IdentityPoolName"],
        AllowUnauthenticatedIdentities=True,
    )
    assert updated["AllowClassicFlow"] is False
    assert updated["AllowUnauthenticatedIdentities"] is True
