import datetime as dt

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.generic import TemplateView, View

from kam.users.forms import ApiTokenForm, LoginForm
from kam.users.models import ApiToken


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)  # login() rotates the session key
        self.request.session["kam_started_at"] = int(timezone.now().timestamp())
        return response


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "users/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tokens"] = self.request.user.api_tokens.all()
        context["form"] = kwargs.get("form") or ApiTokenForm()
        context["new_token"] = kwargs.get("new_token")
        return context

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        expires = form.cleaned_data["expires_at"]
        expires_at = timezone.make_aware(dt.datetime.combine(expires, dt.time.max)) if expires else None
        _, raw = ApiToken.issue(request.user, form.cleaned_data["name"], expires_at)
        # The raw token is rendered once, in this response only; it is not stored anywhere.
        return render(request, self.template_name, self.get_context_data(new_token=raw, form=ApiTokenForm()))


class RevokeTokenView(LoginRequiredMixin, View):
    def post(self, request, pk):
        token = request.user.api_tokens.filter(pk=pk, revoked_at__isnull=True).first()
        if token is None:
            raise Http404
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        messages.success(request, f"Token “{token.name}” revoked. Programs using it can no longer connect.")
        return HttpResponseRedirect(reverse("users:profile"))


password_change = auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("users:password_change_done"))
