import pytest
from cryptography.fernet import Fernet

from clusters import encryption
from clusters.encryption import SecretUnreadable, decrypt_secret, encrypt_secret


def test_secret_round_trip_and_ciphertext_hides_it():
    token = encrypt_secret("s3cr3t-pässword")
    assert "s3cr3t" not in token
    assert token != encrypt_secret("s3cr3t-pässword")  # random IV per encryption
    assert decrypt_secret(token) == "s3cr3t-pässword"


def test_empty_secret_stays_empty():
    assert encrypt_secret("") == ""
    assert decrypt_secret("") == ""


def test_rotation_decrypts_with_an_old_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    token = encrypt_secret("rotate-me")
    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"
    assert decrypt_secret(token) == "rotate-me"
    # New secrets are written with the first key only.
    fresh = encrypt_secret("fresh")
    settings.FIELD_ENCRYPTION_KEY = new
    assert decrypt_secret(fresh) == "fresh"


def test_wrong_key_says_how_to_recover(settings):
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    token = encrypt_secret("x")
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(SecretUnreadable, match="FIELD_ENCRYPTION_KEY changed"):
        decrypt_secret(token)


def test_malformed_key_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    encryption._fernet.cache_clear()
    settings.FIELD_ENCRYPTION_KEY = "not-a-fernet-key"
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        encrypt_secret("x")
