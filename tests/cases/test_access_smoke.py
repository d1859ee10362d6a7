from cases.access import pregnancies_visible_to


def test_midwife_sees_pregnancy_managed_at_her_facility_and_outsider_does_not(pregnancy, midwife, outsider):
    assert list(pregnancies_visible_to(midwife)) == [pregnancy]
    assert list(pregnancies_visible_to(outsider)) == []
