"""Django's own messages whose shipped Chinese is wrong, translated again in the project's catalogue
(``LOCALE_PATHS`` is read before Django's catalogues). Named here so that makemessages keeps them.

- "Null characters are not allowed." (``ProhibitNullCharactersValidator``, on every form text field and
  the API's searches): Django ships "不允许是用空字符串。" ("using" misspelt, and "empty string" where the
  character NUL is meant)."""

from django.utils.translation import gettext_noop

OVERRIDDEN = [gettext_noop("Null characters are not allowed.")]
