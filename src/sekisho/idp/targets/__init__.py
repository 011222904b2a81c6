"""Cognito actions by name: one module per action, looked up by the `X-Amz-Target` suffix."""

from __future__ import annotations

from sekisho.idp.targets._common import Handler
from sekisho.idp.targets.admin_add_user_to_group import admin_add_user_to_group
from sekisho.idp.targets.admin_confirm_sign_up import admin_confirm_sign_up
from sekisho.idp.targets.admin_create_user import admin_create_user
from sekisho.idp.targets.admin_delete_user import admin_delete_user
from sekisho.idp.targets.admin_disable_user import admin_disable_user
from sekisho.idp.targets.admin_enable_user import admin_enable_user
from sekisho.idp.targets.admin_get_user import admin_get_user
from sekisho.idp.targets.admin_initiate_auth import admin_initiate_auth
from sekisho.idp.targets.admin_list_groups_for_user import admin_list_groups_for_user
from sekisho.idp.targets.admin_remove_user_from_group import admin_remove_user_from_group
from sekisho.idp.targets.admin_reset_user_password import admin_reset_user_password
from sekisho.idp.targets.admin_set_user_password import admin_set_user_password
from sekisho.idp.targets.admin_update_user_attributes import admin_update_user_attributes
from sekisho.idp.targets.admin_user_global_sign_out import admin_user_global_sign_out
from sekisho.idp.targets.change_password import change_password
from sekisho.idp.targets.confirm_forgot_password import confirm_forgot_password
from sekisho.idp.targets.confirm_sign_up import confirm_sign_up
from sekisho.idp.targets.create_group import create_group
from sekisho.idp.targets.create_resource_server import create_resource_server
from sekisho.idp.targets.create_user_pool import create_user_pool
from sekisho.idp.targets.create_user_pool_client import create_user_pool_client
from sekisho.idp.targets.create_user_pool_domain import create_user_pool_domain
from sekisho.idp.targets.delete_group import delete_group
from sekisho.idp.targets.delete_user import delete_user
from sekisho.idp.targets.delete_user_pool import delete_user_pool
from sekisho.idp.targets.delete_user_pool_client import delete_user_pool_client
from sekisho.idp.targets.delete_user_pool_domain import delete_user_pool_domain
from sekisho.idp.targets.describe_resource_server import describe_resource_server
from sekisho.idp.targets.describe_user_pool import describe_user_pool
from sekisho.idp.targets.describe_user_pool_client import describe_user_pool_client
from sekisho.idp.targets.describe_user_pool_domain import describe_user_pool_domain
from sekisho.idp.targets.forgot_password import forgot_password
from sekisho.idp.targets.get_group import get_group
from sekisho.idp.targets.get_tokens_from_refresh_token import get_tokens_from_refresh_token
from sekisho.idp.targets.get_user import get_user
from sekisho.idp.targets.global_sign_out import global_sign_out
from sekisho.idp.targets.initiate_auth import initiate_auth
from sekisho.idp.targets.list_groups import list_groups
from sekisho.idp.targets.list_resource_servers import list_resource_servers
from sekisho.idp.targets.list_user_pool_clients import list_user_pool_clients
from sekisho.idp.targets.list_user_pools import list_user_pools
from sekisho.idp.targets.list_users import list_users
from sekisho.idp.targets.list_users_in_group import list_users_in_group
from sekisho.idp.targets.resend_confirmation_code import resend_confirmation_code
from sekisho.idp.targets.respond_to_auth_challenge import admin_respond_to_auth_challenge, respond_to_auth_challenge
from sekisho.idp.targets.revoke_token import revoke_token
from sekisho.idp.targets.sign_up import sign_up
from sekisho.idp.targets.update_group import update_group
from sekisho.idp.targets.update_user_attributes import update_user_attributes
from sekisho.idp.targets.update_user_pool import update_user_pool
from sekisho.idp.targets.update_user_pool_client import update_user_pool_client

__all__ = ["TARGETS", "Handler"]

TARGETS: dict[str, Handler] = {
    "AdminAddUserToGroup": admin_add_user_to_group,
    "AdminConfirmSignUp": admin_confirm_sign_up,
    "AdminCreateUser": admin_create_user,
    "AdminDeleteUser": admin_delete_user,
    "AdminDisableUser": admin_disable_user,
    "AdminEnableUser": admin_enable_user,
    "AdminGetUser": admin_get_user,
    "AdminInitiateAuth": admin_initiate_auth,
    "AdminListGroupsForUser": admin_list_groups_for_user,
    "AdminRemoveUserFromGroup": admin_remove_user_from_group,
    "AdminResetUserPassword": admin_reset_user_password,
    "AdminRespondToAuthChallenge": admin_respond_to_auth_challenge,
    "AdminSetUserPassword": admin_set_user_password,
    "AdminUpdateUserAttributes": admin_update_user_attributes,
    "AdminUserGlobalSignOut": admin_user_global_sign_out,
    "ChangePassword": change_password,
    "ConfirmForgotPassword": confirm_forgot_password,
    "ConfirmSignUp": confirm_sign_up,
    "CreateGroup": create_group,
    "CreateResourceServer": create_resource_server,
    "CreateUserPool": create_user_pool,
    "CreateUserPoolClient": create_user_pool_client,
    "CreateUserPoolDomain": create_user_pool_domain,
    "DeleteGroup": delete_group,
    "DeleteUser": delete_user,
    "DeleteUserPool": delete_user_pool,
    "DeleteUserPoolClient": delete_user_pool_client,
    "DeleteUserPoolDomain": delete_user_pool_domain,
    "DescribeResourceServer": describe_resource_server,
    "DescribeUserPool": describe_user_pool,
    "DescribeUserPoolClient": describe_user_pool_client,
    "DescribeUserPoolDomain": describe_user_pool_domain,
    "ForgotPassword": forgot_password,
    "GetGroup": get_group,
    "GetTokensFromRefreshToken": get_tokens_from_refresh_token,
    "GetUser": get_user,
    "GlobalSignOut": global_sign_out,
    "InitiateAuth": initiate_auth,
    "ListGroups": list_groups,
    "ListResourceServers": list_resource_servers,
    "ListUserPoolClients": list_user_pool_clients,
    "ListUserPools": list_user_pools,
    "ListUsers": list_users,
    "ListUsersInGroup": list_users_in_group,
    "ResendConfirmationCode": resend_confirmation_code,
    "RespondToAuthChallenge": respond_to_auth_challenge,
    "RevokeToken": revoke_token,
    "SignUp": sign_up,
    "UpdateGroup": update_group,
    "UpdateUserAttributes": update_user_attributes,
    "UpdateUserPool": update_user_pool,
    "UpdateUserPoolClient": update_user_pool_client,
}
