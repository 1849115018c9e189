"""Typed input for every page: Django forms, validated before any service is called.

Forms check shape (required, lengths, choices, handles that exist); the
services check meaning and raise DomainError, which views add to the form.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kith.graph.models import Aspect
from kith.people.models import Account, Person
from kith.social.compose import MAX_CONTENT_WARNING_CHARS, MAX_MEDIA_PER_POST, Compose, PollDraft
from kith.social.lookup import find_person
from kith.social.media import MAX_DESCRIPTION_CHARS
from kith.social.models import Visibility
from kith.web.helpers import parse_id


def people_from_handles(raw: str, viewer: Person) -> list[Person]:
    """'bob, carol@other.pod' -> persons the viewer may address; a ValidationError names the unknown."""
    found: list[Person] = []
    for handle in filter(None, (part.strip() for part in raw.replace(";", ",").split(","))):
        person = find_person(handle, viewer)
        if person is None:
            raise forms.ValidationError(_("Nobody called %(handle)s is known here."), params={"handle": handle})
        if person not in found:
            found.append(person)
    return found


# ---- accounts ---------------------------------------------------------------------


class SignupForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=30, help_text=_("Letters, digits and underscores."))
    email = forms.EmailField(label=_("E-mail address"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class LoginForm(AuthenticationForm):
    """Log in with a username or an e-mail address (kith.people.auth.AccountBackend accepts both)."""

    username = forms.CharField(label=_("Username or e-mail address"), max_length=254)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password2 = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("The two passwords differ."))
        return data


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    confirm = forms.BooleanField(label=_("I understand that my posts, comments and messages are deleted for good."))

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.account.check_password(password):
            raise forms.ValidationError(_("The password is not right."))
        return password


def _handles(raw: str) -> list[str]:
    return [part.strip() for part in raw.replace(";", ",").replace("\n", ",").split(",") if part.strip()]


class AliasesForm(forms.Form):
    handles = forms.CharField(
        label=_("Your other accounts"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("name@server, one a line: an account moving here from there must be listed first."),
    )

    def handle_list(self) -> list[str]:
        return _handles(self.cleaned_data["handles"])


class MoveForm(forms.Form):
    handle = forms.CharField(label=_("The account you move to"), max_length=300, help_text=_("name@server"))
    password = forms.CharField(
        label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.account.check_password(password):
            raise forms.ValidationError(_("The password is not right."))
        return password


class ReportForm(forms.Form):
    """Report a person: why (Mastodon's categories; the pod rules broken for "violation"), what
    is wrong, which of their posts to attach (`post_choices`: the reported one and recent ones
    the reporter sees) and, for someone of another server, whether to tell it too."""

    CATEGORIES = [
        ("spam", _("It is spam")),
        ("legal", _("It is illegal")),
        ("violation", _("It breaks this pod's rules")),
        ("other", _("Something else")),
    ]
    category = forms.ChoiceField(
        label=_("What is the problem?"), required=False, initial="other", widget=forms.RadioSelect, choices=CATEGORIES,
    )
    rules = forms.TypedMultipleChoiceField(
        label=_("Which rules?"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=_("Needed when it breaks the rules."),
    )
    comment = forms.CharField(label=_("What is wrong?"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    posts = forms.TypedMultipleChoiceField(
        label=_("Posts to attach"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
    )
    # The post or comment the Report action was used on (kept when the page is sent back).
    post = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reported_comment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    forward = forms.BooleanField(
        label=_("Also send the report to their server (without your name)"), required=False, initial=True
    )

    def __init__(self, *args, rule_choices: Sequence[tuple[int, str]] = (),
                 post_choices: Sequence[tuple[int, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["rules"]).choices = list(rule_choices)
        cast(forms.ChoiceField, self.fields["posts"]).choices = list(post_choices)
        if not rule_choices:  # a pod without rules has no "breaks the rules"
            cast(forms.ChoiceField, self.fields["category"]).choices = [c for c in self.CATEGORIES if c[0] != "violation"]

    def clean_category(self) -> str:
        return self.cleaned_data.get("category") or "other"

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        # Ticking a rule says the report is about it: with the default "Something else" left
        # as it was, it becomes a rule violation rather than losing the rules ticked.
        if cleaned.get("rules") and cleaned.get("category") == "other":
            cleaned["category"] = "violation"
        elif cleaned.get("rules") and cleaned.get("category") in ("spam", "legal"):
            self.add_error("rules", _("Rules go with “It breaks this pod's rules”: choose it, or untick the rules."))
        return cleaned


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    bio = forms.CharField(label=_("Bio (Markdown)"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000, required=False)
    tags = forms.CharField(
        label=_("Profile tags"), required=False, help_text=_("Up to five, separated by spaces or commas.")
    )
    location = forms.CharField(label=_("Location"), max_length=255, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    gender = forms.CharField(label=_("Gender"), max_length=255, required=False)
    searchable = forms.BooleanField(label=_("List me in people search"), required=False)
    locked = forms.BooleanField(label=_("Approve new followers myself"), required=False)
    avatar = forms.FileField(
        label=_("Avatar"), required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )
    header = forms.FileField(
        label=_("Header image"), required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )

    @staticmethod
    def initial_for(person: Person, tag_names: list[str]) -> dict:
        return {
            "display_name": person.display_name, "bio": person.bio_source, "tags": " ".join(tag_names),
            "location": person.location, "birthday": person.birthday, "gender": person.gender,
            "searchable": person.searchable, "locked": person.locked,
        }

    def service_arguments(self) -> dict:
        """Keyword arguments for kith.people.services.update_profile."""
        data = dict(self.cleaned_data)
        data["tags"] = [t for t in data["tags"].replace(",", " ").split() if t]
        for image in ("avatar", "header"):
            if not data[image]:
                data.pop(image)
        return data


# ---- posts ------------------------------------------------------------------------

POLL_DURATIONS = [
    (str(60 * 60), _("1 hour")),
    (str(24 * 60 * 60), _("1 day")),
    (str(3 * 24 * 60 * 60), _("3 days")),
    (str(7 * 24 * 60 * 60), _("7 days")),
]
DEFAULT_POLL_DURATION = POLL_DURATIONS[1][0]


class ComposeForm(forms.Form):
    """A new post: text, content warning, audience, photos, poll.

    `audience` holds `public`, `all_aspects` and/or `aspect:<id>`; `people`
    adds persons by handle.  As in diaspora*'s publisher, Public, All aspects and
    single aspects exclude each other (kith.js unticks the others at once); a form
    sent without JavaScript keeps the meaning of the box ticked on purpose:
    Public wins over the aspect boxes (All aspects is ticked by default), and
    single aspects narrow All aspects.  Public with people named is refused.
    Photos come as `photo_1`..`photo_4` with `alt_1`..`alt_4`; photos uploaded
    by an earlier preview come back as hidden `media` ids.
    """

    text = forms.CharField(label=_("What do you want to share?"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    content_warning = forms.CharField(label=_("Content warning (optional)"), max_length=MAX_CONTENT_WARNING_CHARS, required=False)
    audience = forms.MultipleChoiceField(label=_("Who will see this?"), required=False, widget=forms.CheckboxSelectMultiple)
    people = forms.CharField(
        label=_("Also these people"), required=False, help_text=_("Handles separated by commas, e.g. bob, carol@other.pod")
    )
    poll_options = forms.CharField(
        label=_("Poll options, one per line (optional)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    poll_multiple = forms.BooleanField(label=_("Allow several answers"), required=False)
    poll_duration = forms.ChoiceField(
        label=_("Poll runs for"), choices=POLL_DURATIONS, initial=DEFAULT_POLL_DURATION, required=False
    )

    def __init__(self, *args, author: Person, aspects: list[Aspect], **kwargs):
        """`aspects` as kith.graph.selectors.aspects_with_members gives them (each with `.members`)."""
        super().__init__(*args, **kwargs)
        self.author = author
        self.aspects = aspects
        cast(forms.ChoiceField, self.fields["audience"]).choices = [
            ("public", _("Public")), ("all_aspects", _("All aspects")),
            *((f"aspect:{aspect.id}", aspect.name) for aspect in aspects),
        ]
        for slot in range(1, MAX_MEDIA_PER_POST + 1):
            self.fields[f"photo_{slot}"] = forms.FileField(
                label=_("Photo %(slot)s") % {"slot": slot}, required=False,
                widget=forms.ClearableFileInput(attrs={
                    "accept": "image/jpeg,image/png,image/gif,image/webp",
                    "data-preview": _("Preview of photo %(slot)s") % {"slot": slot},
                }),
            )
            self.fields[f"alt_{slot}"] = forms.CharField(
                label=_("Description of photo %(slot)s, for people who cannot see it") % {"slot": slot},
                max_length=MAX_DESCRIPTION_CHARS, required=False,
            )

    def photo_slots(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"photo_{slot}"], self[f"alt_{slot}"]) for slot in range(1, MAX_MEDIA_PER_POST + 1)]

    @property
    def photo_errors(self) -> bool:
        return any(field.errors for pair in self.photo_slots() for field in pair)

    def new_photos(self) -> list[tuple]:
        """(file, alt text) for each photo chosen in this request."""
        data = self.cleaned_data
        return [(data[photo.name], data.get(alt.name, "")) for photo, alt in self.photo_slots() if data.get(photo.name)]

    @property
    def kept_media_ids(self) -> list[int]:
        """Photos uploaded by an earlier preview (the service checks they are the author's and unused)."""
        return [media_id for value in cast(QueryDict, self.data).getlist("media") if (media_id := parse_id(value)) is not None]

    def audience_options(self) -> list[dict]:
        """One entry per audience checkbox: value, label, members (aspects only), checked.

        A sent form shows the choice as it was understood (Public alone, say), so
        the boxes agree with the preview."""
        cleaned = getattr(self, "cleaned_data", {})
        chosen = set(cleaned["audience"] if "audience" in cleaned else self["audience"].value() or [])
        members = {f"aspect:{aspect.id}": aspect.members for aspect in self.aspects}
        return [
            {"value": value, "label": label, "members": members.get(value), "checked": value in chosen}
            # Read back as the list __init__ set (Django normalises it); the stubs type the setter's input.
            for value, label in cast(list[tuple[str, str]], cast(forms.ChoiceField, self.fields["audience"]).choices)
        ]

    def clean_people(self):
        return people_from_handles(self.cleaned_data["people"], self.author)

    def clean(self):
        data = super().clean()
        audience = set(data.get("audience") or [])
        if "public" in audience and data.get("people"):
            raise forms.ValidationError(
                _("A public post goes to everyone: untick Public to send it only to the people you named, or remove them.")
            )
        if "public" in audience:
            audience = {"public"}
        elif "all_aspects" in audience and any(value.startswith("aspect:") for value in audience):
            audience.discard("all_aspects")
        if "audience" in data:
            data["audience"] = [value for value in data["audience"] if value in audience]
        if not audience and not data.get("people") and "people" not in self.errors:
            raise forms.ValidationError(_("Choose who will see the post."))
        if len(self.kept_media_ids) + len(self.new_photos()) > MAX_MEDIA_PER_POST:
            raise forms.ValidationError(_("A post has at most %(count)s photos."), params={"count": MAX_MEDIA_PER_POST})
        return data

    @property
    def is_public(self) -> bool:
        return "public" in self.cleaned_data["audience"]

    @property
    def aspect_ids(self) -> list[int]:
        return [int(value.split(":", 1)[1]) for value in self.cleaned_data["audience"] if value.startswith("aspect:")]

    @property
    def all_aspects(self) -> bool:
        return "all_aspects" in self.cleaned_data["audience"]

    def compose(self, media_ids: Sequence[int] = ()) -> Compose:
        """What a valid form composed, for kith.social.drafts.submit (and the audience preview)."""
        data = self.cleaned_data
        options = [line.strip() for line in data["poll_options"].splitlines() if line.strip()]
        poll = None
        if options:
            duration = timedelta(seconds=int(data["poll_duration"] or DEFAULT_POLL_DURATION))
            poll = PollDraft(options, multiple=data["poll_multiple"], expires_in=duration)
        return Compose(
            text=data["text"],
            visibility=Visibility.PUBLIC if self.is_public else Visibility.LIMITED,
            aspect_ids=tuple(self.aspect_ids),
            all_aspects=self.all_aspects,
            person_ids=tuple(p.id for p in data["people"]),
            content_warning=data["content_warning"],
            media_ids=tuple(media_ids),
            poll=poll,
        )


class EditPostForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    content_warning = forms.CharField(label=_("Content warning"), max_length=MAX_CONTENT_WARNING_CHARS, required=False)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EditCommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 4}))


class VoteForm(forms.Form):
    option = forms.TypedMultipleChoiceField(label=_("Your answer"), coerce=int, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, options: list, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["option"]).choices = [(option.position, option.title) for option in options]


# ---- graph ------------------------------------------------------------------------


class AspectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)


class AddContactForm(forms.Form):
    handle = forms.CharField(label=_("Handle"), help_text=_("e.g. bob or bob@other.pod"))

    def __init__(self, *args, viewer: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def clean_handle(self):
        people = people_from_handles(self.cleaned_data["handle"], self.viewer)
        if len(people) != 1:
            raise forms.ValidationError(_("Give one handle."))
        return people[0]


class AspectMembershipForm(forms.Form):
    aspects = forms.TypedMultipleChoiceField(
        label=_("Aspects"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, aspects: list[Aspect], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["aspects"]).choices = [(aspect.id, aspect.name) for aspect in aspects]


# ---- conversations and search -----------------------------------------------------


class ConversationForm(forms.Form):
    recipients = forms.CharField(label=_("To"), help_text=_("Handles separated by commas, e.g. bob, carol@other.pod"))
    subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    text = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, author: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.author = author

    def clean_recipients(self):
        return people_from_handles(self.cleaned_data["recipients"], self.author)


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 3}))


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
