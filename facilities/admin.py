from django.contrib import admin

from .models import Department, Facility, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name_zh", "name_en"]
    autocomplete_fields = ["parent"]


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "code", "tier", "critical_care_level", "region", "is_active"]
    list_filter = ["tier", "critical_care_level", "kind", "is_active"]
    search_fields = ["name_zh", "name_en", "code", "region__code"]
    autocomplete_fields = ["region"]
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "specialty", "facility"]
    list_filter = ["specialty"]
    search_fields = ["name_zh", "name_en", "facility__name_zh"]
    autocomplete_fields = ["facility"]
