from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.OTPVerifyView.as_view(), name="otp_verify"),
    path("setup/", views.OTPEnrolView.as_view(), name="otp_enrol"),
    path("recovery-codes/", views.RecoveryCodesView.as_view(), name="otp_recovery_codes"),
]
