"""修改密码 (/password/): everyone changes their own password here, and a login handed out
with an initial password (people.passwords) must, before any other page opens."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from gridgov.people import passwords


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web-password-done")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["must_change"] = passwords.must_change(self.request.user)
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        passwords.changed(form.user)
        return response
