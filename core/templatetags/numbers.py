"""``{{ n|grouped }}``: a whole number with its thousands grouped (899,894), as both Chinese and English
statistics print them; anything else (a rate, a percentage, text, None) unchanged. Counts of a region run
to six digits, and "899894" has to be counted out on a dashboard read in a hurry."""

from django import template

register = template.Library()


@register.filter(name="grouped")
def grouped(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value
